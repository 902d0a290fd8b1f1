//! Automatic arrangement of the canvas: nodes evenly on a circle, or spread by a force
//! layout in which links pull their ends together and every pair of nodes pushes apart.
//!
//! Deterministic (no randomness: the force layout starts from the current positions and
//! breaks ties by index), so the same scenario always gets the same arrangement.

use crate::scene::Point;

/// Positions on a circle around `centre`, the first at the top, clockwise.
pub fn circle(count: usize, centre: Point, radius: f64) -> Vec<Point> {
    let count_f = count.max(1) as f64;
    (0..count)
        .map(|index| {
            let angle =
                -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * index as f64 / count_f;
            Point {
                x: (centre.x + radius * angle.cos()).round(),
                y: (centre.y + radius * angle.sin()).round(),
            }
        })
        .collect()
}

/// How many steps the force layout takes; enough for 100 nodes to settle.
const FORCE_STEPS: usize = 300;

/// A force-directed arrangement (after Fruchterman and Reingold) of `start` positions
/// with `edges` between node indices, fitted into a `width × height` box around
/// `centre`. Linked nodes end up near each other and unlinked ones spread out.
pub fn force(start: &[Point], edges: &[(usize, usize)], centre: Point, size: f64) -> Vec<Point> {
    let count = start.len();
    if count == 0 {
        return Vec::new();
    }
    if count == 1 {
        return vec![centre];
    }
    // Start from a circle when positions coincide (a fresh canvas), otherwise from the
    // current drawing, so arranging twice changes little.
    let mut positions = if distinct(start) {
        start.to_vec()
    } else {
        circle(count, centre, size / 2.0)
    };
    let ideal = size / (count as f64).sqrt();
    let mut temperature = size / 10.0;
    let cooling = temperature / FORCE_STEPS as f64;
    for _ in 0..FORCE_STEPS {
        let mut shift = vec![Point { x: 0.0, y: 0.0 }; count];
        for a in 0..count {
            for b in (a + 1)..count {
                let (dx, dy, distance) = apart(positions[a], positions[b], a, b);
                let push = ideal * ideal / distance;
                shift[a].x += dx / distance * push;
                shift[a].y += dy / distance * push;
                shift[b].x -= dx / distance * push;
                shift[b].y -= dy / distance * push;
            }
        }
        for &(a, b) in edges {
            if a >= count || b >= count || a == b {
                continue;
            }
            let (dx, dy, distance) = apart(positions[a], positions[b], a, b);
            let pull = distance * distance / ideal;
            shift[a].x -= dx / distance * pull;
            shift[a].y -= dy / distance * pull;
            shift[b].x += dx / distance * pull;
            shift[b].y += dy / distance * pull;
        }
        for (position, moved) in positions.iter_mut().zip(&shift) {
            let length = moved.x.hypot(moved.y).max(1e-9);
            let step = length.min(temperature);
            position.x += moved.x / length * step;
            position.y += moved.y / length * step;
        }
        temperature = (temperature - cooling).max(1.0);
    }
    fit_into(&positions, centre, size)
}

/// The vector from `b` to `a` and its length, never zero (coincident nodes are nudged
/// apart in a direction fixed by their indices).
fn apart(a: Point, b: Point, index_a: usize, index_b: usize) -> (f64, f64, f64) {
    let (mut dx, mut dy) = (a.x - b.x, a.y - b.y);
    if dx.hypot(dy) < 1e-6 {
        let angle = (index_a * 7 + index_b * 13) as f64;
        dx = angle.cos() * 0.01;
        dy = angle.sin() * 0.01;
    }
    (dx, dy, dx.hypot(dy))
}

fn distinct(points: &[Point]) -> bool {
    points.iter().enumerate().all(|(index, a)| {
        points[index + 1..]
            .iter()
            .all(|b| (a.x - b.x).hypot(a.y - b.y) > 1.0)
    })
}

/// Scales and moves `points` so their bounding box fills a `size` square around `centre`.
fn fit_into(points: &[Point], centre: Point, size: f64) -> Vec<Point> {
    let Some((low, high)) = crate::scene::bounding_box(points) else {
        return Vec::new();
    };
    let (min_x, min_y, max_x, max_y) = (low.x, low.y, high.x, high.y);
    let span = (max_x - min_x).max(max_y - min_y).max(1.0);
    let scale = size / span;
    points
        .iter()
        .map(|point| Point {
            x: (centre.x + (point.x - (min_x + max_x) / 2.0) * scale).round(),
            y: (centre.y + (point.y - (min_y + max_y) / 2.0) * scale).round(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CENTRE: Point = Point { x: 400.0, y: 300.0 };

    fn distance(a: Point, b: Point) -> f64 {
        (a.x - b.x).hypot(a.y - b.y)
    }

    #[test]
    fn a_circle_starts_at_the_top_and_spaces_nodes_evenly() {
        let points = circle(4, CENTRE, 100.0);
        assert_eq!(points[0], Point { x: 400.0, y: 200.0 });
        assert_eq!(points[1], Point { x: 500.0, y: 300.0 });
        let sides: Vec<f64> = (0..4)
            .map(|index| distance(points[index], points[(index + 1) % 4]))
            .collect();
        assert!(sides.iter().all(|side| (side - sides[0]).abs() < 1.5));
    }

    #[test]
    fn the_force_layout_keeps_linked_nodes_closer_than_unlinked_ones_and_is_repeatable() {
        // Two triangles joined by one link, all starting on one spot.
        let start = vec![Point { x: 0.0, y: 0.0 }; 6];
        let edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)];
        let placed = force(&start, &edges, CENTRE, 400.0);
        assert_eq!(
            placed,
            force(&start, &edges, CENTRE, 400.0),
            "deterministic"
        );
        let linked = distance(placed[0], placed[1]);
        let across = distance(placed[0], placed[5]);
        assert!(linked < across, "{linked} < {across}");
        for (index, a) in placed.iter().enumerate() {
            assert!(distance(*a, CENTRE) <= 400.0);
            for b in &placed[index + 1..] {
                assert!(distance(*a, *b) > 20.0, "nodes do not overlap: {placed:?}");
            }
        }
    }

    #[test]
    fn trivial_layouts_do_not_fail() {
        assert!(force(&[], &[], CENTRE, 100.0).is_empty());
        assert_eq!(
            force(&[Point { x: 3.0, y: 4.0 }], &[(0, 0)], CENTRE, 100.0),
            [CENTRE]
        );
    }
}
