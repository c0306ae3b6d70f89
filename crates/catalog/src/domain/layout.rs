//! Venue layouts beyond rectangles: price categories, sections placed with an angle and curved
//! rows, and layouts imported seat by seat (CSV or JSON), with the rules that make them valid.
//!
//! Positions are in seat widths: neighbours in a row stand 1 apart, rows 1 apart, `y` grows
//! away from the stage (the map draws the stage at the top). Two seats closer than
//! [`MIN_GAP`] overlap: on the map, whose seats are 26 px apart per seat width with 24-px
//! targets, their targets would cover each other.

use std::collections::HashMap;

use kernel::Money;
use serde::Deserialize;

use super::{SeatAccess, required_text, valid_price, valid_section_code};
use crate::CatalogError;

/// Seats whose centres are closer than this (in seat widths) overlap.
pub const MIN_GAP: f64 = 0.9;
/// The largest coordinate accepted, either sign.
const MAX_COORDINATE: f64 = 10_000.0;
/// Most categories an event may have (a legend people can read).
const MAX_CATEGORIES: usize = 20;
/// Highest row or seat number of an imported seat.
const MAX_NUMBER: i64 = 10_000;

/// A price category of an event: a name, its colour on the map and its seats' price.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Category {
    /// Name shown to buyers (`Stalls`, `Balcony`), unique in the event.
    pub name: String,
    /// Colour of its free seats on the map, `#rrggbb`.
    pub colour: String,
    /// The price of each of its seats.
    pub price: Money,
}

/// `categories` checked: names of 1 to 40 characters, unique (ignoring case), colours
/// `#rrggbb`, prices in range, at most [`MAX_CATEGORIES`].
///
/// # Errors
/// [`CatalogError::Invalid`] naming the category and the rule.
pub(crate) fn valid_categories(categories: &[Category]) -> Result<Vec<Category>, CatalogError> {
    if categories.len() > MAX_CATEGORIES {
        return Err(CatalogError::Invalid(format!(
            "An event has at most {MAX_CATEGORIES} categories."
        )));
    }
    let mut out: Vec<Category> = Vec::with_capacity(categories.len());
    for c in categories {
        let name = required_text("category name", &c.name, 40)?;
        if out.iter().any(|o| o.name.eq_ignore_ascii_case(&name)) {
            return Err(CatalogError::Invalid(format!(
                "Category {name:?} is named twice."
            )));
        }
        let colour = c.colour.trim().to_ascii_lowercase();
        let hex = colour.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CatalogError::Invalid(format!(
                "The colour of category {name:?} must be #rrggbb, such as #1f77b4, got {:?}.",
                c.colour
            )));
        }
        let price = valid_price(&format!("The price of category {name:?}"), c.price)?;
        out.push(Category {
            name,
            colour,
            price,
        });
    }
    Ok(out)
}

/// Where a generated section stands and how its rows bend (all optional; none of them: a plain
/// rectangle stacked below the others, as before).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SectionShape {
    /// Where the middle of its first row stands.
    pub x: f64,
    /// As `x`.
    pub y: f64,
    /// Turned clockwise by this many degrees around that point.
    pub angle: f64,
    /// Rows bent around a point this far in front of the first row, towards the stage (each
    /// further row 1 more); 0 for straight rows.
    pub curve: f64,
    /// How far each row is shifted along itself (row 1 first; missing rows: 0).
    pub row_offsets: Vec<f64>,
}

impl SectionShape {
    /// Checks the numbers of the section `code` of `rows` rows.
    ///
    /// # Errors
    /// [`CatalogError::Invalid`] naming the field.
    pub(crate) fn check(&self, code: &str, rows: i64) -> Result<(), CatalogError> {
        let finite = [self.x, self.y, self.angle, self.curve]
            .iter()
            .chain(&self.row_offsets)
            .all(|v| v.is_finite() && v.abs() <= MAX_COORDINATE);
        if !finite {
            return Err(CatalogError::Invalid(format!(
                "x, y, angle, curve and rowOffsets must be numbers between -{MAX_COORDINATE} and {MAX_COORDINATE} (section {code})."
            )));
        }
        if self.curve != 0.0 && self.curve < 1.0 {
            return Err(CatalogError::Invalid(format!(
                "curve must be 0 (straight rows) or at least 1 seat width (section {code})."
            )));
        }
        if self.row_offsets.len() as i64 > rows {
            return Err(CatalogError::Invalid(format!(
                "rowOffsets lists {} rows but section {code} has {rows}.",
                self.row_offsets.len()
            )));
        }
        Ok(())
    }

    /// The position of each seat of a section of `rows` × `per_row`, as (row, seat, x, y).
    pub(crate) fn place(&self, rows: i64, per_row: i64) -> Vec<(i64, i64, f64, f64)> {
        let (sin, cos) = self.angle.to_radians().sin_cos();
        let mut out = Vec::with_capacity((rows * per_row).max(0) as usize);
        for row in 1..=rows {
            let offset = self
                .row_offsets
                .get((row - 1) as usize)
                .copied()
                .unwrap_or(0.0);
            let depth = (row - 1) as f64;
            for seat in 1..=per_row {
                // Along the row, centred on the section's middle.
                let along = (seat - 1) as f64 - (per_row - 1) as f64 / 2.0 + offset;
                let (lx, ly) = if self.curve > 0.0 {
                    // On an arc around (0, -curve): one seat width of arc per seat.
                    let radius = self.curve + depth;
                    let theta = along / radius;
                    (radius * theta.sin(), radius * theta.cos() - self.curve)
                } else {
                    (along, depth)
                };
                let x = self.x + lx * cos - ly * sin;
                let y = self.y + lx * sin + ly * cos;
                out.push((row, seat, round(x), round(y)));
            }
        }
        out
    }
}

/// Positions are kept to a hundredth of a seat width (what a map can show), so a layout reads
/// back as it was written.
fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One seat of an imported layout, as the file gives it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedSeat {
    /// Section code.
    pub section: String,
    /// Row number, from 1.
    pub row: i64,
    /// Seat number in the row, from 1 (neighbours have neighbouring numbers).
    pub seat: i64,
    /// Position across, in seat widths.
    pub x: f64,
    /// Position away from the stage, in seat widths.
    pub y: f64,
    /// The seat's category (required once the event has categories).
    #[serde(default)]
    pub category: Option<String>,
    /// `wheelchair`, `companion` or absent.
    #[serde(default)]
    pub access: Option<String>,
}

/// A seat of an imported layout, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlacedSeat {
    /// Where the file gave it: `line 7` (CSV) or `seats[6]` (JSON), for errors.
    pub origin: String,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat.
    pub seat_number: i64,
    /// Position.
    pub x: f64,
    /// Position.
    pub y: f64,
    /// Category name as the event spells it.
    pub category: Option<String>,
    /// Access mark.
    pub access: Option<SeatAccess>,
}

/// A seat as the checks of a layout see it: where it came from, its place and position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LaidSeat<'a> {
    /// `Line 7`, `seats[6]`, `Section A row 1 seat 3` or `the existing seat A row 1 seat 3`.
    pub origin: String,
    /// Section code.
    pub section: &'a str,
    /// Row.
    pub row: i64,
    /// Seat.
    pub seat: i64,
    /// Position, if it has one.
    pub position: Option<(f64, f64)>,
}

/// Reads a CSV layout: a header naming at least `section,row,seat,x,y` (in any order;
/// `category` and `access` optional), then one seat per line. Errors name the line.
///
/// # Errors
/// [`CatalogError::Invalid`] for a missing column or the first line that breaks a rule.
pub(crate) fn parse_csv(
    text: &str,
    categories: &[Category],
) -> Result<Vec<PlacedSeat>, CatalogError> {
    // Line ends as a browser's form sends them (CRLF) would otherwise shift the line numbers
    // the reader counts.
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let mut at = [0_usize; 5];
    for (slot, name) in at.iter_mut().zip(["section", "row", "seat", "x", "y"]) {
        *slot = column(name).ok_or_else(|| {
            CatalogError::Invalid(format!(
                "Line 1 must name the columns section,row,seat,x,y (and category, access if used); {name} is missing."
            ))
        })?;
    }
    let (category_at, access_at) = (column("category"), column("access"));
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e))?;
        let line = record.position().map_or(0, csv::Position::line);
        let origin = format!("Line {line}");
        let cell = |i: usize| record.get(i).unwrap_or("");
        let number = |i: usize, what: &str| -> Result<f64, CatalogError> {
            cell(i).parse::<f64>().map_err(|_| {
                CatalogError::Invalid(format!(
                    "{origin}: {what} must be a number, got {:?}.",
                    cell(i)
                ))
            })
        };
        let whole = |i: usize, what: &str| -> Result<i64, CatalogError> {
            cell(i).parse::<i64>().map_err(|_| {
                CatalogError::Invalid(format!(
                    "{origin}: {what} must be a whole number, got {:?}.",
                    cell(i)
                ))
            })
        };
        let optional = |i: Option<usize>| i.map(|i| cell(i).to_string()).filter(|v| !v.is_empty());
        let raw = ImportedSeat {
            section: cell(at[0]).to_string(),
            row: whole(at[1], "row")?,
            seat: whole(at[2], "seat")?,
            x: number(at[3], "x")?,
            y: number(at[4], "y")?,
            category: optional(category_at),
            access: optional(access_at),
        };
        out.push(check_seat(origin, &raw, categories)?);
    }
    Ok(out)
}

fn csv_error(e: &csv::Error) -> CatalogError {
    let line = e
        .position()
        .map_or(String::new(), |p| format!("Line {}: ", p.line()));
    let why = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}."),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text.".to_string(),
        _ => "not CSV.".to_string(),
    };
    CatalogError::Invalid(format!("{line}{why}"))
}

/// Checks the seats of a JSON layout; errors name the seat as `seats[i]`.
///
/// # Errors
/// [`CatalogError::Invalid`] for the first seat that breaks a rule.
pub(crate) fn check_json(
    seats: &[ImportedSeat],
    categories: &[Category],
) -> Result<Vec<PlacedSeat>, CatalogError> {
    seats
        .iter()
        .enumerate()
        .map(|(i, s)| check_seat(format!("seats[{i}]"), s, categories))
        .collect()
}

/// One seat's own rules: section code, numbers, coordinates, a known category, access mark.
fn check_seat(
    origin: String,
    raw: &ImportedSeat,
    categories: &[Category],
) -> Result<PlacedSeat, CatalogError> {
    let invalid = |why: String| CatalogError::Invalid(format!("{origin}: {why}"));
    let section_code = valid_section_code(&raw.section).map_err(|e| invalid(e.to_string()))?;
    for (what, n) in [("row", raw.row), ("seat", raw.seat)] {
        if !(1..=MAX_NUMBER).contains(&n) {
            return Err(invalid(format!(
                "{what} must be between 1 and {MAX_NUMBER}, got {n}."
            )));
        }
    }
    for (what, v) in [("x", raw.x), ("y", raw.y)] {
        if !v.is_finite() || v.abs() > MAX_COORDINATE {
            return Err(invalid(format!(
                "{what} must be between -{MAX_COORDINATE} and {MAX_COORDINATE}, got {v}."
            )));
        }
    }
    let category = match (raw.category.as_deref().map(str::trim), categories) {
        (None | Some(""), []) => None,
        (None | Some(""), _) => {
            return Err(invalid(format!(
                "a category is required ({}).",
                names(categories)
            )));
        }
        (Some(name), []) => {
            return Err(invalid(format!(
                "category {name:?} is unknown: this event has no categories yet (define them first)."
            )));
        }
        (Some(name), _) => Some(
            categories
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .map(|c| c.name.clone())
                .ok_or_else(|| {
                    invalid(format!(
                        "category {name:?} is not one of this event's categories ({}).",
                        names(categories)
                    ))
                })?,
        ),
    };
    let access = SeatAccess::parse(raw.access.as_deref().unwrap_or(""))
        .map_err(|e| invalid(e.to_string()))?;
    Ok(PlacedSeat {
        origin,
        section_code,
        row_number: raw.row,
        seat_number: raw.seat,
        x: round(raw.x),
        y: round(raw.y),
        category,
        access,
    })
}

fn names(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks new seats together and against the event's `existing` ones: no place twice, no two
/// seats overlapping, and either every seat of the event has a position or none has (the map
/// could not draw both).
///
/// # Errors
/// [`CatalogError::Invalid`] naming the seat (and the one it collides with).
pub(crate) fn check_together(
    new: &[LaidSeat<'_>],
    existing: &[LaidSeat<'_>],
) -> Result<(), CatalogError> {
    let placed = |seats: &[LaidSeat<'_>]| {
        (
            seats.iter().any(|s| s.position.is_some()),
            seats.iter().any(|s| s.position.is_none()),
        )
    };
    let why = match (placed(existing), placed(new)) {
        (_, (true, true)) => Some("Give every section a position (x, y), or none of them."),
        ((_, true), (true, _)) => Some(
            "This event's seats are laid out as plain rows without positions; seats with positions cannot be added to them.",
        ),
        ((true, _), (_, true)) => Some(
            "This event's seats have positions; give the new sections a position (x, y) as well.",
        ),
        _ => None,
    };
    if let Some(why) = why {
        return Err(CatalogError::Invalid(why.into()));
    }
    let mut places: HashMap<(&str, i64, i64), (&str, bool)> = HashMap::new();
    for e in existing {
        places.insert((e.section, e.row, e.seat), (&e.origin, true));
    }
    for s in new {
        match places.insert((s.section, s.row, s.seat), (&s.origin, false)) {
            // The contract's answer for a seat laid out again (409 `seat_already_exists`).
            Some((_, true)) => {
                return Err(CatalogError::SeatAlreadyExists {
                    section: s.section.to_string(),
                    row: s.row,
                    seat: s.seat,
                });
            }
            Some((first, false)) => {
                return Err(CatalogError::Invalid(format!(
                    "{}: section {} row {} seat {} is given twice (also {first}).",
                    s.origin, s.section, s.row, s.seat
                )));
            }
            None => {}
        }
    }
    let points: Vec<(f64, f64, &str)> = existing
        .iter()
        .chain(new)
        .filter_map(|s| s.position.map(|(x, y)| (x, y, s.origin.as_str())))
        .collect();
    if let Some((a, b)) = first_overlap(&points) {
        return Err(CatalogError::Invalid(format!(
            "{}: the seat overlaps {} (closer than {MIN_GAP} seat widths).",
            points[b].2, points[a].2
        )));
    }
    Ok(())
}

/// The first pair of points (earlier, later) closer than [`MIN_GAP`], found through a grid of
/// cells of that size (each point is compared with the 9 cells around it only).
pub(crate) fn first_overlap<T>(points: &[(f64, f64, T)]) -> Option<(usize, usize)> {
    let cell = |v: f64| (v / MIN_GAP).floor() as i64;
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, (x, y, _)) in points.iter().enumerate() {
        let (cx, cy) = (cell(*x), cell(*y));
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &j in grid.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                    let (ox, oy, _) = &points[j];
                    if (x - ox).hypot(y - oy) < MIN_GAP {
                        return Some((j, i));
                    }
                }
            }
        }
        grid.entry((cx, cy)).or_default().push(i);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stalls() -> Vec<Category> {
        valid_categories(&[
            Category {
                name: "Stalls".into(),
                colour: "#1F77B4".into(),
                price: Money::from_cents(8_000),
            },
            Category {
                name: "Balcony".into(),
                colour: "#ff7f0e".into(),
                price: Money::from_cents(4_500),
            },
        ])
        .expect("valid")
    }

    fn message(r: Result<impl std::fmt::Debug, CatalogError>) -> String {
        match r {
            Err(CatalogError::Invalid(m)) => m,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn categories_are_checked_and_colours_normalised() {
        assert_eq!(stalls()[0].colour, "#1f77b4");
        let mut twice = stalls();
        twice[1].name = "stalls".into();
        assert!(message(valid_categories(&twice)).contains("named twice"));
        let mut colour = stalls();
        colour[0].colour = "blue".into();
        assert!(message(valid_categories(&colour)).contains("#rrggbb"));
        let mut free = stalls();
        free[0].price = Money::ZERO;
        assert!(message(valid_categories(&free)).contains("greater than zero"));
    }

    #[test]
    fn a_csv_layout_reads_with_its_categories_and_errors_name_the_line() {
        let ok = "section,row,seat,x,y,category\nA,1,1,0,0,Stalls\nA,1,2,1,0,stalls\n\"B\",1,1,0,5,Balcony\n";
        let seats = parse_csv(ok, &stalls()).expect("parses");
        assert_eq!(seats.len(), 3);
        assert_eq!(seats[1].category.as_deref(), Some("Stalls"));
        assert_eq!(seats[2].origin, "Line 4");
        check_together(&laid(&seats), &[]).expect("no collisions");

        let unknown = "section,row,seat,x,y,category\r\nA,1,1,0,0,Stalls\r\nA,1,2,1,0,Gallery\r\n";
        assert_eq!(
            message(parse_csv(unknown, &stalls())),
            "Line 3: category \"Gallery\" is not one of this event's categories (Stalls, Balcony)."
        );
        let not_number = "section,row,seat,x,y,category\nA,one,1,0,0,Stalls\n";
        assert!(
            message(parse_csv(not_number, &stalls()))
                .starts_with("Line 2: row must be a whole number")
        );
        let short = "section,row,seat,x,y\nA,1,1,0\n";
        assert!(message(parse_csv(short, &[])).starts_with("Line 2: 4 fields"));
        let no_y = "section,row,seat,x\nA,1,1,0\n";
        assert!(message(parse_csv(no_y, &[])).contains("y is missing"));

        let twice = "section,row,seat,x,y\nA,1,1,0,0\nA,1,2,1,0\nA,1,1,5,5\n";
        let seats = parse_csv(twice, &[]).expect("each line is valid alone");
        assert_eq!(
            message(check_together(&laid(&seats), &[])),
            "Line 4: section A row 1 seat 1 is given twice (also Line 2)."
        );
        let overlap = "section,row,seat,x,y\nA,1,1,0,0\nA,1,2,1,0\nB,1,1,1.5,0.3\n";
        let seats = parse_csv(overlap, &[]).expect("each line is valid alone");
        assert_eq!(
            message(check_together(&laid(&seats), &[])),
            "Line 4: the seat overlaps Line 3 (closer than 0.9 seat widths)."
        );
    }

    fn laid(seats: &[PlacedSeat]) -> Vec<LaidSeat<'_>> {
        seats
            .iter()
            .map(|s| LaidSeat {
                origin: s.origin.clone(),
                section: &s.section_code,
                row: s.row_number,
                seat: s.seat_number,
                position: Some((s.x, s.y)),
            })
            .collect()
    }

    #[test]
    fn an_import_is_checked_against_the_seats_already_there() {
        let seats =
            parse_csv("section,row,seat,x,y\nA,1,2,0.5,0\nA,1,1,3,0\n", &[]).expect("parses");
        let placed = LaidSeat {
            origin: "the existing seat A row 1 seat 1".into(),
            section: "A",
            row: 1,
            seat: 1,
            position: Some((0.0, 0.0)),
        };
        assert_eq!(
            message(check_together(
                &laid(&seats[..1]),
                std::slice::from_ref(&placed)
            )),
            "Line 2: the seat overlaps the existing seat A row 1 seat 1 (closer than 0.9 seat widths)."
        );
        let far = LaidSeat {
            position: Some((-5.0, 0.0)),
            ..placed.clone()
        };
        assert_eq!(
            check_together(&laid(&seats[1..]), &[far]).map_err(|e| e.to_string()),
            Err("Seat A-1-1 already exists for this event.".to_string())
        );
        let unplaced = LaidSeat {
            position: None,
            ..placed
        };
        assert!(message(check_together(&laid(&seats), &[unplaced])).contains("without positions"));
    }

    #[test]
    fn a_curved_turned_section_keeps_its_seats_one_width_apart() {
        let shape = SectionShape {
            x: 10.0,
            y: 4.0,
            angle: 30.0,
            curve: 12.0,
            row_offsets: vec![0.0, 0.5],
        };
        shape.check("A", 3).expect("valid");
        let seats = shape.place(3, 9);
        assert_eq!(seats.len(), 27);
        // The middle seat of row 1 stands on the section's point.
        let middle = seats.iter().find(|s| s.0 == 1 && s.1 == 5).expect("seat");
        assert_eq!((middle.2, middle.3), (10.0, 4.0));
        let points: Vec<(f64, f64, ())> = seats.iter().map(|s| (s.2, s.3, ())).collect();
        assert_eq!(first_overlap(&points), None);
        let (a, b) = (&seats[0], &seats[1]);
        let gap = (a.2 - b.2).hypot(a.3 - b.3);
        assert!((0.98..=1.01).contains(&gap), "{gap}");
        assert!(
            SectionShape {
                curve: 0.5,
                ..shape.clone()
            }
            .check("A", 3)
            .is_err()
        );
        assert!(
            SectionShape {
                row_offsets: vec![0.0; 4],
                ..shape
            }
            .check("A", 3)
            .is_err()
        );
    }
}
