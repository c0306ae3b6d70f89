//! Best available: which `quantity` free seats of an event a buyer gets when they ask for the
//! best ones rather than pick by hand.
//!
//! The rule, in order of importance:
//! 1. side by side in one row, when any row has such a block;
//! 2. never leaving a single free seat between the block and a taken seat (or the row's end),
//!    when some block can avoid it (a lone seat is the one nobody buys);
//! 3. nearest the stage: on a layout with positions, the block whose middle is nearest the
//!    stage ([`stage_point`]); otherwise sections in [`stage_order`] (the order the seat map
//!    draws them), then the lower row, then
//! 4. nearest the middle of the row.
//!
//! Without any such block the answer is split: as few groups as possible, each group placed by
//! the same rule, and the answer says so.
//!
//! Pure: the caller reads the layout and which seats are taken, and writes the holds.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use kernel::{Money, SeatId};

/// The order sections stand from the stage, nearest first: dearest first (the premium seats
/// are the ones nearest the stage in most halls), then by code. The seat map draws sections in
/// this order and best-available fills them in it.
pub fn stage_order(a: (&str, Money), b: (&str, Money)) -> Ordering {
    b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0))
}

/// Where the stage stands for seats at `positions`: where the layout puts it, else two and a
/// half seat widths above the seats, in the middle (where the seat map draws it). `None`
/// without positions.
pub fn stage_point(
    positions: impl Iterator<Item = (f64, f64)>,
    given: Option<(f64, f64)>,
) -> Option<(f64, f64)> {
    if given.is_some() {
        return given;
    }
    let mut bounds: Option<(f64, f64, f64)> = None;
    for (x, y) in positions {
        let b = bounds.get_or_insert((x, x, y));
        *b = (b.0.min(x), b.1.max(x), b.2.min(y));
    }
    bounds.map(|(left, right, top)| ((left + right) / 2.0, top - 2.5))
}

/// A place of the layout, as best-available weighs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Place {
    /// The seat.
    pub(crate) seat_id: SeatId,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number (neighbours in the row have neighbouring numbers once sorted).
    pub seat_number: i64,
    /// Price.
    pub price: Money,
    /// Whether nobody may have it now (held, sold, held back, or set aside for wheelchair
    /// users and their companions, who choose those places themselves).
    pub taken: bool,
    /// Where it stands, on a layout with positions (then every place has one).
    pub position: Option<(f64, f64)>,
}

/// The seats chosen, as indexes into the places given, in place order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    /// Indexes of the chosen places.
    pub seats: Vec<usize>,
    /// Whether the seats are not all side by side in one row.
    pub split: bool,
}

/// A row: its rank from the stage and its places (indexes, in seat order).
struct Row {
    rank: Rank,
    places: Vec<usize>,
}

/// How far from the stage, lower is nearer: (section's place in [`stage_order`], row number),
/// or on a layout with positions (hundredths of a seat width from the stage, 0).
type Rank = (u64, u64);

/// A run of free neighbouring places in a row: `row`, positions `start..start + len`.
#[derive(Debug, Clone, Copy)]
struct Run {
    row: usize,
    start: usize,
    len: usize,
}

/// Chooses `quantity` free places of `places`; `None` when fewer are free.
/// `stage` is where the stage stands on a layout with positions ([`stage_point`]).
pub(crate) fn choose(
    places: &[Place],
    quantity: usize,
    stage: Option<(f64, f64)>,
) -> Option<Choice> {
    if quantity == 0 || places.iter().filter(|p| !p.taken).count() < quantity {
        return None;
    }
    let stage = stage.filter(|_| places.iter().all(|p| p.position.is_some()));
    let near = Nearness { places, stage };
    let rows = rows(places, &near);
    let runs = runs(places, &rows);
    if let Some((run, offset)) = best_block(&rows, &runs, quantity, &near) {
        let row = &rows[run.row];
        let seats = row.places[run.start + offset..run.start + offset + quantity].to_vec();
        return Some(Choice {
            seats,
            split: false,
        });
    }
    // No row has the whole block: the fewest groups, longest runs first (nearer the stage
    // among equals); the last group placed by the block rule within its run.
    let mut order: Vec<&Run> = runs.iter().collect();
    order.sort_by(|a, b| {
        b.len
            .cmp(&a.len)
            .then(rows[a.row].rank.cmp(&rows[b.row].rank))
    });
    let mut seats = Vec::with_capacity(quantity);
    let mut left = quantity;
    for run in order {
        if left == 0 {
            break;
        }
        let take = left.min(run.len);
        let offset = best_offset(&rows[run.row], run, take, &near).map_or(0, |(_, offset)| offset);
        let row = &rows[run.row];
        seats.extend_from_slice(&row.places[run.start + offset..run.start + offset + take]);
        left -= take;
    }
    seats.sort_unstable_by_key(|&i| {
        let p = &places[i];
        (p.section_code.clone(), p.row_number, p.seat_number)
    });
    Some(Choice { seats, split: true })
}

/// A section's dearest price and its rows (row number -> places).
type Section = (Money, BTreeMap<i64, Vec<usize>>);

/// How near the stage places stand.
struct Nearness<'a> {
    places: &'a [Place],
    /// The stage, when every place has a position.
    stage: Option<(f64, f64)>,
}

impl Nearness<'_> {
    /// Hundredths of a seat width between the stage and the middle of `places` (indexes), or
    /// `None` on a layout without positions.
    fn distance(&self, seats: &[usize]) -> Option<u64> {
        let (sx, sy) = self.stage?;
        let n = seats.len().max(1) as f64;
        let (x, y) = seats.iter().fold((0.0, 0.0), |(x, y), &i| {
            let (px, py) = self.places[i].position.unwrap_or_default();
            (x + px / n, y + py / n)
        });
        Some(((x - sx).hypot(y - sy) * 100.0).round() as u64)
    }
}

/// The event's rows, nearest the stage first, each in seat order.
fn rows(places: &[Place], near: &Nearness<'_>) -> Vec<Row> {
    let mut sections: BTreeMap<&str, Section> = BTreeMap::new();
    for (i, p) in places.iter().enumerate() {
        let section = sections
            .entry(&p.section_code)
            .or_insert_with(|| (p.price, BTreeMap::new()));
        section.0 = section.0.max(p.price);
        section.1.entry(p.row_number).or_default().push(i);
    }
    let mut ordered: Vec<(&str, Section)> = sections.into_iter().collect();
    ordered.sort_by(|a, b| stage_order((a.0, a.1.0), (b.0, b.1.0)));
    let mut out = Vec::new();
    for (rank, (_, (_, section_rows))) in ordered.into_iter().enumerate() {
        for (row_number, mut row) in section_rows {
            row.sort_unstable_by_key(|&i| places[i].seat_number);
            let rank = match near.stage {
                Some(_) => {
                    let nearest = row.iter().filter_map(|&i| near.distance(&[i])).min();
                    (nearest.unwrap_or(u64::MAX), 0)
                }
                None => (rank as u64, row_number.max(0) as u64),
            };
            out.push(Row { rank, places: row });
        }
    }
    out.sort_by_key(|r| r.rank);
    out
}

fn runs(places: &[Place], rows: &[Row]) -> Vec<Run> {
    let mut out = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut start = None;
        for (pos, &i) in row.places.iter().enumerate() {
            match (places[i].taken, start) {
                (false, None) => start = Some(pos),
                (true, Some(s)) => {
                    out.push(Run {
                        row: r,
                        start: s,
                        len: pos - s,
                    });
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push(Run {
                row: r,
                start: s,
                len: row.places.len() - s,
            });
        }
    }
    out
}

/// How a block of `quantity` at `offset` in `run` weighs: lower is better.
type Score = (usize, Rank, usize);

/// The best block of `quantity` side by side in one row, as (run, offset in the run).
fn best_block(
    rows: &[Row],
    runs: &[Run],
    quantity: usize,
    near: &Nearness<'_>,
) -> Option<(Run, usize)> {
    runs.iter()
        .filter(|run| run.len >= quantity)
        .filter_map(|run| {
            best_offset(&rows[run.row], run, quantity, near).map(|(s, o)| (s, *run, o))
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, run, offset)| (run, offset))
}

/// The best place for `quantity` seats inside `run`: (its score, its offset).
fn best_offset(
    row: &Row,
    run: &Run,
    quantity: usize,
    near: &Nearness<'_>,
) -> Option<(Score, usize)> {
    (0..=run.len.checked_sub(quantity)?)
        .map(|offset| {
            let before = offset;
            let after = run.len - offset - quantity;
            let lone = usize::from(before == 1) + usize::from(after == 1);
            let first = run.start + offset;
            let block = &row.places[first..first + quantity];
            let score = match near.distance(block) {
                // The block's own distance: nearest the stage, and so nearest the middle.
                Some(distance) => (lone, (distance, 0), 0),
                // Twice the distance between the block's middle and the row's.
                None => (
                    lone,
                    row.rank,
                    (2 * first + quantity).abs_diff(row.places.len()),
                ),
            };
            (score, offset)
        })
        .min_by(|a, b| a.0.cmp(&b.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A section of `rows` rows of `per_row` seats at `cents`, with the seats of `taken`
    /// (row, seat) taken.
    fn section(
        code: &str,
        rows: i64,
        per_row: i64,
        cents: i64,
        taken: &[(i64, i64)],
    ) -> Vec<Place> {
        let mut out = Vec::new();
        for row in 1..=rows {
            for seat in 1..=per_row {
                out.push(Place {
                    seat_id: SeatId::new(),
                    section_code: code.into(),
                    row_number: row,
                    seat_number: seat,
                    price: Money::from_cents(cents),
                    taken: taken.contains(&(row, seat)),
                    position: None,
                });
            }
        }
        out
    }

    fn picked(places: &[Place], choice: &Choice) -> Vec<(String, i64, i64)> {
        choice
            .seats
            .iter()
            .map(|&i| {
                let p = &places[i];
                (p.section_code.clone(), p.row_number, p.seat_number)
            })
            .collect()
    }

    fn seats(section: &str, row: i64, numbers: &[i64]) -> Vec<(String, i64, i64)> {
        numbers
            .iter()
            .map(|&n| (section.to_string(), row, n))
            .collect()
    }

    #[test]
    fn a_block_in_the_middle_of_the_front_row_of_the_dearest_section() {
        let mut places = section("A", 3, 10, 5000, &[]);
        places.extend(section("VIP", 2, 10, 9000, &[]));
        let choice = choose(&places, 4, None).unwrap();
        assert!(!choice.split);
        assert_eq!(picked(&places, &choice), seats("VIP", 1, &[4, 5, 6, 7]));
    }

    #[test]
    fn a_later_row_rather_than_a_lone_seat_left_beside_a_taken_one() {
        // Row 1: seats 1..=5 free, 6 taken: a block of 4 leaves a lone seat either side.
        let places = section("A", 2, 6, 5000, &[(1, 6)]);
        let choice = choose(&places, 4, None).unwrap();
        let rows: Vec<i64> = picked(&places, &choice).iter().map(|s| s.1).collect();
        assert_eq!(
            rows,
            vec![2, 2, 2, 2],
            "row 2 leaves no lone seat: {choice:?}"
        );
        // Row 2 has six free seats: 1..=4 or 3..=6 leave two free, 2..=5 leaves two lone ones.
        let numbers: Vec<i64> = picked(&places, &choice).iter().map(|s| s.2).collect();
        assert!(
            numbers == [1, 2, 3, 4] || numbers == [3, 4, 5, 6],
            "{numbers:?}"
        );
    }

    #[test]
    fn a_lone_seat_is_left_when_nothing_else_is_possible() {
        let places = section("A", 1, 6, 5000, &[(1, 6)]);
        let choice = choose(&places, 4, None).unwrap();
        assert!(!choice.split);
        assert_eq!(choice.seats.len(), 4);
    }

    #[test]
    fn without_a_block_the_fewest_groups_and_the_answer_says_split() {
        // Row 1: 1-2 free; row 2: 1-3 free, 4 taken, 5 free.
        let places = section("A", 2, 5, 5000, &[(1, 3), (1, 4), (1, 5), (2, 4)]);
        let choice = choose(&places, 4, None).unwrap();
        assert!(choice.split);
        let got = picked(&places, &choice);
        assert_eq!(got.len(), 4);
        assert_eq!(
            got.iter().filter(|s| s.1 == 2 && s.2 <= 3).count(),
            3,
            "{got:?}"
        );
    }

    #[test]
    fn not_enough_free_seats_is_none_and_taken_seats_are_never_chosen() {
        let places = section("A", 1, 4, 5000, &[(1, 2)]);
        assert_eq!(choose(&places, 4, None), None);
        let choice = choose(&places, 3, None).unwrap();
        assert!(choice.seats.iter().all(|&i| !places[i].taken));
    }

    #[test]
    fn on_a_layout_with_positions_the_block_nearest_the_stage_wins() {
        // Two sections of one row each: A in front of the stage but far to the side, B a row
        // further back in the middle. The stage is above the middle.
        let mut places = section("A", 1, 6, 5000, &[]);
        for (i, p) in places.iter_mut().enumerate() {
            p.position = Some((20.0 + i as f64, 0.0));
        }
        let mut b = section("B", 1, 6, 5000, &[]);
        for (i, p) in b.iter_mut().enumerate() {
            p.position = Some((-2.5 + i as f64, 2.0));
        }
        places.extend(b);
        let stage = stage_point(places.iter().filter_map(|p| p.position), Some((0.0, -1.0)));
        let choice = choose(&places, 2, stage).unwrap();
        assert!(!choice.split);
        // B's middle two (x -0.5 and 0.5) stand nearest the stage.
        assert_eq!(picked(&places, &choice), seats("B", 1, &[3, 4]));
        // Without a given stage it stands above the seats, in the middle of them all.
        let default = stage_point(places.iter().filter_map(|p| p.position), None);
        assert_eq!(default, Some((11.25, -2.5)));
    }
}
