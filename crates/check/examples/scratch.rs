//! scratch
use dsplay_check::*;
fn main() {
    let dir = "/work/shared/data/knossos/";
    let table = std::fs::read_to_string(format!("{dir}VERDICTS.tsv")).unwrap();
    for line in table.lines().skip(1) {
        let file = line.split('\t').next().unwrap();
        let h = parse_edn(&std::fs::read_to_string(format!("{dir}{file}")).unwrap()).unwrap();
        let v = check(&h, Model::Linearizable, Budget::default());
        let s = check(&h, Model::Sequential, Budget::default());
        if v.valid != Some(true) || v.steps > 20000 || s.valid != Some(true) {
            println!("{file}: lin {:?} steps {} ops {:?}\n  {}\n  seq {:?} steps {} {}", v.valid, v.steps, v.ops, v.explanation, s.valid, s.steps, s.explanation);
        }
    }
}
