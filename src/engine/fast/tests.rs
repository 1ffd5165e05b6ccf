use super::*;
use rand::Rng;

/// Tables of `states` states with up to `width` exits each (the same number in both rows of
/// a state; some states have none and are finished), random destinations and random
/// thresholds spanning never, rare, common and certain.
fn tables(states: usize, width: usize, seed: u64) -> FastTables {
    let mut r = rng::SplitMix::new(seed, 1);
    let mut next = || r.next_u64();
    let mut rows = Vec::new();
    for s in 0..states {
        let used = (next() as usize) % (width + 1);
        let to: Vec<u16> = (0..used).map(|_| (next() % states as u64) as u16).collect();
        for _ in 0..2 {
            let keys: Vec<u64> = (0..used).map(|_| next()).collect();
            let exits = (0..used)
                .map(|_| {
                    let threshold = match next() % 4 {
                        0 => 0,
                        1 => next() >> 8,
                        2 => next(),
                        _ => u64::MAX,
                    };
                    let p = threshold as f64 / 18_446_744_073_709_551_616.0;
                    Exit {
                        threshold,
                        rate: -(-p).ln_1p(),
                    }
                })
                .collect();
            rows.push(Row::new(s as u16, keys, to.clone(), exits));
        }
    }
    FastTables::routed(rows)
}

/// One cycle of `present` by every form the CPU has; each puts every citizen in the same new
/// row, in the same order, and counts the same moves in each flow cell (the forms record them
/// in different orders and ways) as the portable form, whose rows and counts are returned.
fn forms_agree(
    fast: &FastTables,
    present: &Present,
    cycle: u32,
    cells: FlowCells,
    what: &str,
) -> (Present, Vec<u32>) {
    let cycle_of = |form| {
        let mut rows = Present::new(fast);
        let mut moves = Moves::default();
        cycle_rows(fast, present, &mut rows, cycle, cells, &mut moves, form);
        let mut flows = vec![0; cells.n_cells()];
        moves.count(&mut flows);
        (rows, flows)
    };
    let (want, want_moves) = cycle_of(Form::Portable);
    for form in [Form::Avx2, Form::Avx512] {
        let (got, got_moves) = cycle_of(form);
        // The first difference only: the rows are long.
        for (r, (g, w)) in got.rows.iter().zip(&want.rows).enumerate() {
            let at = (0..g.key.len().max(w.key.len()))
                .find(|&i| (g.key.get(i), g.class.get(i)) != (w.key.get(i), w.class.get(i)));
            assert_eq!(
                at, None,
                "{what}, {form:?}: row {r} differs from citizen {at:?} on"
            );
        }
        assert_eq!(got.rows.len(), want.rows.len(), "{what}, {form:?}");
        assert!(
            got_moves == want_moves,
            "{what}, {form:?}: the moves differ"
        );
    }
    (want, want_moves)
}

/// The masks of fired exits [`masks`] makes (with AVX2 where the CPU has it) are those of
/// [`fired`] citizen by citizen, for widths 0 to 9 and any number of citizens.
#[test]
fn the_masks_are_those_of_fired() {
    let fast = tables(10, 9, 3);
    let mut r = rng::SplitMix::new(2, 9);
    for row in &fast.rows {
        for n in [0, 1, 3, 4, 5, 17, 256] {
            let key: Vec<u64> = (0..n).map(|_| r.next_u64()).collect();
            let mut got = vec![0; n];
            masks(row, 12, &key, &mut got);
            let want: Vec<u64> = (key.iter())
                .map(|&k| fired(&row.keys, &row.exits, rng::cycle_bits(k, 12)))
                .collect();
            assert_eq!(got, want, "width {}, {n} citizens", row.exits.len());
        }
    }
}

/// A cycle's vector forms (those the CPU has: AVX2, AVX-512) put every citizen in the same new
/// row, in the same order, drop the same citizens and record the same moves (in any order) as
/// the portable form, for 1 to 9 states, widths 0 to 8 (8: portable form only) and rows whose
/// citizens are not a multiple of four or eight. And the portable form is right: every citizen
/// of the cycle is in its new row unless that state is finished, and its move — from its
/// state to the fired exit's destination, in its class — is recorded exactly when an exit
/// fired.
#[test]
fn the_vector_cycle_equals_the_portable_loop() {
    let (mut moved, mut several, mut dropped, mut four_wide) = (0, 0, 0, 0);
    for states in [1, 2, 4, 7, 8, 9] {
        for width in 0..=8 {
            let fast = tables(states, width, (states * 31 + width) as u64);
            let mut r = rng::SplitMix::new(7, (states + width) as u64);
            let mut next = || r.next_u64();
            let mut present = Present::new(&fast);
            let mut everyone = Vec::new();
            for _ in 0..1003 {
                let (st, cl, key) = ((next() % states as u64) as u16, (next() % 6) as u16, next());
                present.enter(&fast, st, cl, key);
                everyone.push((st, cl, key));
            }
            let cells = FlowCells {
                base: 0,
                size: states,
                classes: 6,
            };
            // Rows the AVX2 form takes (where the CPU has AVX2).
            #[cfg(target_arch = "x86_64")]
            {
                four_wide += (fast.rows.iter().zip(&present.rows))
                    .filter(|(row, c)| avx2::usable(row) && c.key.len() >= 4)
                    .count();
            }
            for cycle in [0, 1, 30, 299] {
                let what = format!("{states} states, width {width}, cycle {cycle}");
                let (want, want_moves) = forms_agree(&fast, &present, cycle, cells, &what);
                // Each citizen present by itself: its exit, its new row, its move.
                let mut rows = vec![Vec::new(); fast.rows.len()];
                let mut codes = Vec::new();
                for &(st, cl, key) in &everyone {
                    let row = &fast.rows[row_of(st, cl)];
                    if row.finished() {
                        continue;
                    }
                    let bits = rng::cycle_bits(key, cycle);
                    let mask = fired(&row.keys, &row.exits, bits);
                    several += (mask.count_ones() > 1) as usize;
                    let dest = match pick(mask, &row.keys, &row.exits, || bits) {
                        Some(k) => {
                            codes.push(cells.code(st, row.to[k], cl));
                            row.to[k]
                        }
                        None => st,
                    };
                    match fast.rows[row_of(dest, cl)].finished() {
                        true => dropped += 1,
                        false => rows[row_of(dest, cl)].push(key),
                    }
                }
                for (r, keys) in rows.iter_mut().enumerate() {
                    let mut want_keys = want.rows[r].key.clone();
                    want_keys.sort_unstable();
                    keys.sort_unstable();
                    assert_eq!(&want_keys, keys, "{what}, row {r}");
                }
                let mut flows = vec![0; cells.n_cells()];
                for &code in &codes {
                    flows[code as usize] += 1;
                }
                assert_eq!(want_moves, flows, "{what}");
                moved += codes.len();
            }
        }
    }
    // The comparison saw many moves, citizens for whom several exits fired, and drops; and,
    // on a CPU with AVX2, rows that its form took.
    assert!(
        moved > 10_000 && several > 1_000 && dropped > 10_000,
        "{moved} {several} {dropped}"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        assert!(four_wide > 20, "{four_wide}");
    }
}

/// Where several exits fire for most citizens — rows of 2 to 7 exits, each to a state of its
/// own, firing with probabilities from 0.3 to 1, every other one nearly as likely as the
/// first so that the bounds of their waiting times often overlap — every form picks the
/// same exit as the portable form, which the test above checks against [`pick`] citizen by
/// citizen: the vector forms find the lanes where several fired and hand each to [`pick`].
#[test]
fn several_fired_exits_are_settled_alike() {
    let unit = |b: u64| rng::to_unit(b);
    for width in 2..=7 {
        let states = width + 1;
        let mut r = rng::SplitMix::new(11, width as u64);
        let mut next = || r.next_u64();
        let mut rows = Vec::new();
        for s in 0..states {
            for _ in 0..2 {
                let first = 0.3 + 0.69 * unit(next());
                let exits = (0..width)
                    .map(|k| {
                        let p = match k % 2 {
                            1 => first * (1.0 - 1e-9 * k as f64),
                            _ => 0.3 + 0.69 * unit(next()),
                        };
                        Exit {
                            threshold: (p * 18_446_744_073_709_551_616.0) as u64,
                            rate: -(-p).ln_1p(),
                        }
                    })
                    .collect();
                let keys = (0..width).map(|_| next()).collect();
                let to = (1..=width).map(|k| ((s + k) % states) as u16).collect();
                rows.push(Row::new(s as u16, keys, to, exits));
            }
        }
        let fast = FastTables::routed(rows);
        assert!(fast.rows.iter().all(|row| row.one_each));
        let mut present = Present::new(&fast);
        for _ in 0..4000 {
            let st = (next() % states as u64) as u16;
            present.enter(&fast, st, (next() % 2) as u16, next());
        }
        let cells = FlowCells {
            base: 0,
            size: states,
            classes: 2,
        };
        for cycle in [0, 7] {
            let (_, flows) = forms_agree(&fast, &present, cycle, cells, &format!("width {width}"));
            let moves: u32 = flows.iter().sum();
            assert!(moves > 3500, "width {width}: {moves} moves");
        }
    }
}
