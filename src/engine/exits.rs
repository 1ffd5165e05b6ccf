//! Step (3) of a cycle: a citizen's exits. Each exit of a state has its own uniform per
//! (citizen, cycle, exit name); an exit fires when its uniform is below 1 − exp(−rate), and
//! among fired exits the shortest exponential waiting time wins (see [`competing`]).

use super::compile::{CArm, CEdge, CState};
use super::life::{AgeBound, MAX_FACTORS};
use crate::error::Error;
use crate::rng;

/// A citizen's clock and whether its cached exit table can fire, kept together so the hot
/// loop reads one small record per citizen and chain.
#[derive(Clone, Copy, Default)]
pub(super) struct Slot {
    /// Whether any exit of the cached table can fire this cycle; a citizen whose state nobody
    /// leaves draws nothing.
    pub(super) live: bool,
    /// Months in the current state.
    pub(super) months: u32,
    /// Months on the state's clock from which the cached exit table is stale (0: stale now).
    pub(super) valid_until: u32,
    /// Months on the state's clock until which the table's entries of the exits that read an
    /// age are bounds ([`bound_aged`]) rather than exact (0: they are not bounds).
    pub(super) bound_until: u32,
    /// Entries of the table made stale by a change of the citizen's services (bit k: exit k),
    /// to be made again before the table is read; the rest stays valid.
    pub(super) stale: u16,
}

/// One exit of a citizen's cached exit table: the exit fires this cycle when its uniform,
/// as 64 bits, is below `threshold` = P(fire)·2⁶⁴ with P(fire) = 1 − exp(−rate). An entry
/// of a citizen's own table may hold a bound instead ([`bound_of`], named in
/// [`ChainState::inexact`]): a threshold at least the exact one, with the exact rate.
#[derive(Clone, Copy, Default)]
pub(super) struct Exit {
    pub(super) threshold: u64,
    pub(super) rate: f64,
}

pub(super) struct ChainState {
    pub(super) state: Vec<u16>,
    pub(super) slot: Vec<Slot>,
    pub(super) exits: Vec<Exit>,
    pub(super) width: usize,
    /// Per citizen: the entries of its own table that hold a bound made by [`bound_of`]
    /// (bit k: exit k), made exact when their coin falls below the bound ([`exact_fired`]).
    /// Kept apart from [`Slot`], which the month loop reads for every citizen.
    pub(super) inexact: Vec<u64>,
}

/// What about a citizen changes its rates besides state and time: attributes, participation,
/// the services it receives (bit k: service k) and each service's dilution ratio.
pub(super) struct Who<'a> {
    pub(super) attrs: &'a [f64],
    pub(super) participant: bool,
    pub(super) mask: u32,
    pub(super) ratio: &'a [f64],
}

/// A rate that is not a number: the index of the exit in its state.
pub(super) struct NanRate(pub(super) usize);

/// The rate of one exit of a citizen at `months` on the state's clock; None when it is not a
/// number. An infinite rate (a hazard ratio that overflowed) is a certain exit.
#[inline]
fn rate(e: &CEdge, who: &Who, months: u32) -> Option<f64> {
    rate_by_factors(e, who, months, |_| {})
}

/// [`rate`], showing each factor of the product to `factor` as it is multiplied in.
#[inline(always)]
fn rate_by_factors(e: &CEdge, who: &Who, months: u32, mut factor: impl FnMut(f64)) -> Option<f64> {
    let mut r = e.rate;
    factor(r);
    let hr = e.duration_hr(months);
    factor(hr);
    r *= hr;
    if who.participant {
        factor(e.participant_hr);
        r *= e.participant_hr;
    }
    for &(a, ln_hr, reference) in &e.modifiers {
        let x = who.attrs[a] - reference;
        if x != 0.0 {
            let f = (ln_hr * x).exp();
            factor(f);
            r *= f;
        }
    }
    for (a, steps) in &e.bands {
        let x = who.attrs[*a] + 1e-9;
        if let Some(&(_, hr)) = steps.iter().rev().find(|(from, _)| x >= *from) {
            factor(hr);
            r *= hr;
        }
    }
    for &(sv, hr) in &e.service_hr {
        if who.mask & (1 << sv) != 0 {
            let q = who.ratio[sv];
            let f = if q < 1.0 { hr.powf(q) } else { hr };
            factor(f);
            r *= f;
        }
    }
    (!r.is_nan()).then_some(r.min(1e300))
}

/// The rate of each exit of a citizen in its state at `months` on the state's clock.
#[inline]
pub(super) fn rates(
    cst: &CState,
    who: &Who,
    months: u32,
    out: &mut [f64],
) -> std::result::Result<(), NanRate> {
    for (k, (e, o)) in cst.edges.iter().zip(out).enumerate() {
        *o = rate(e, who, months).ok_or(NanRate(k))?;
    }
    Ok(())
}

/// 2⁶⁴, the scale of a threshold.
const TWO_64: f64 = 18_446_744_073_709_551_616.0;

/// The cached form of an exit with rate `rate`: P(fire) = 1 − exp(−rate), as a fraction of 2⁶⁴
/// (the cast saturates at 1).
#[inline]
pub(super) fn exit_of(rate: f64) -> Exit {
    let p = -(-rate).exp_m1();
    Exit {
        threshold: (p * TWO_64) as u64,
        rate,
    }
}

/// An entry whose threshold is at least [`exit_of`]'s for `rate`, with the exact rate, made
/// without `exp_m1`. 1 − exp(−r) ≤ r for every r ≥ 0, and `exp_m1` is within an ulp (2⁻⁵²
/// relative), so r·(1 + 10⁻⁹), rounded, is above the computed probability; scaling by 2⁶⁴ is
/// exact and the cast is monotone, so the threshold is too (both saturate at 2⁶⁴ − 1, both
/// are 0 at r = 0 and below 2⁻⁶⁴, and a negative rate gives 0 in both). The bound exceeds the
/// exact threshold by a relative r/2 + 10⁻⁹ or so: a uniform falls between them about as
/// often as the exit fires times r/2, which is when the entry is made exact.
#[inline]
pub(super) fn bound_of(rate: f64) -> Exit {
    Exit {
        threshold: (rate * (1.0 + 1e-9) * TWO_64) as u64,
        rate,
    }
}

/// Fill the cached exit table of a citizen for its state and months on the state's clock;
/// returns the months from which it is stale and whether any exit can fire.
#[inline]
pub(super) fn refresh(
    cst: &CState,
    who: &Who,
    months: u32,
    out: &mut [Exit],
) -> std::result::Result<(u32, bool), NanRate> {
    let live = refresh_some(cst, who, months, out, u64::MAX, exit_of)?;
    Ok((cst.next_breakpoint(months), live))
}

/// Refresh only the exits whose bit is set in `edges` (exits 64 and above are always
/// refreshed), for example those whose rates read an age, which changes every cycle while
/// the rest of the table stays valid, each entry made by `entry` from its rate: exact
/// ([`exit_of`]), or a bound ([`bound_of`]; no exit fires on an exact entry whose coin is not
/// below its bound, so the general step makes such an entry exact, [`exact_fired`], only
/// when its coin falls below the bound, and the `exp_m1` of the others is never computed).
/// Returns whether any exit of the table can fire (may, with bounds). Each exit's entry is
/// computed on its own, so the table is exactly what a full [`refresh`] gives.
#[inline(always)]
pub(super) fn refresh_some(
    cst: &CState,
    who: &Who,
    months: u32,
    out: &mut [Exit],
    edges: u64,
    entry: fn(f64) -> Exit,
) -> std::result::Result<bool, NanRate> {
    let n = cst.edges.len();
    for (k, (e, o)) in cst.edges.iter().zip(out.iter_mut()).enumerate() {
        if k >= 64 || edges & (1 << k) != 0 {
            *o = entry(rate(e, who, months).ok_or(NanRate(k))?);
        }
    }
    Ok(out[..n].iter().any(|x| x.threshold > 0))
}

/// The exits of `mask` (those [`fired`] on `exits`, at most [`MASK_EXITS`]) that fire once
/// the entries among them that hold a bound (`inexact`) are made exact from their rates, as
/// [`exit_of`] makes them; those entries are exact from then on. The exits outside `mask` do
/// not fire on their exact entries either, as their coins are not below the bounds.
#[inline(always)]
pub(super) fn exact_fired(
    keys: &[u64],
    exits: &mut [Exit],
    bits: u64,
    mask: u64,
    inexact: &mut u64,
) -> u64 {
    let hit = mask & *inexact;
    if hit == 0 {
        return mask;
    }
    let mut rest = hit;
    while rest != 0 {
        let k = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        exits[k] = exit_of(exits[k].rate);
    }
    *inexact &= !hit;
    fired(keys, exits, bits)
}

/// Bounds, for the next [`AgeBound::cycles`] of ageing, of the entries of the exits whose rates
/// read an age (bit k of `aged`; see [`AgeBound`]); the other entries are left as they are.
/// Returns whether any exit of the table can fire; or None — the caller then refreshes those
/// entries exactly — where such a rate has a factor outside 10⁻²⁰…10²⁰ now, or more than
/// [`MAX_FACTORS`] factors now and to come (those now and its ageing modifiers): within these,
/// each factor moved by ageing by at most e¹⁰, every partial product stays within
/// 10⁻³⁰⁰…10³⁰⁰, where rounding is relative. A rate that is not a number is reported as [`refresh_some`] would report it.
/// The entries are made by [`bound_of`] from the bounds of the rates: at least the exact
/// entries of those rates, without `exp_m1`.
pub(super) fn bound_aged(
    cst: &CState,
    who: &Who,
    months: u32,
    out: &mut [Exit],
    aged: u64,
    bound: &AgeBound,
) -> std::result::Result<Option<bool>, NanRate> {
    let n = cst.edges.len();
    for (k, (e, o)) in cst.edges.iter().zip(out.iter_mut()).enumerate() {
        if aged & (1 << k) == 0 {
            continue;
        }
        let (mut tame, mut factors) = (true, bound.ageing_modifiers[k]);
        let r = rate_by_factors(e, who, months, |f| {
            tame &= (1e-20..=1e20).contains(&f);
            factors += 1;
        })
        .ok_or(NanRate(k))?;
        if !tame || factors > MAX_FACTORS {
            return Ok(None);
        }
        *o = bound_of(r * bound.growth[k] * (1.0 + 1e-9));
    }
    Ok(Some(out[..n].iter().any(|x| x.threshold > 0)))
}

/// Exit tables shared by every citizen of a state whose rates read nothing about the citizen
/// but participation (no duration steps, attribute modifiers, bands or service effects): made
/// once per arm with [`refresh`], so the month loop neither refreshes nor stores a table per
/// citizen there. The thresholds are exactly those a citizen's own table would hold.
pub(super) struct StaticExits {
    /// Per chain, per state: the table of non-participants and of participants, each with
    /// whether any exit can fire; None where the rates depend on the citizen.
    tables: Vec<Vec<Option<[SharedTable; 2]>>>,
}

/// One shared exit table and whether any of its exits can fire.
type SharedTable = (Vec<Exit>, bool);

impl StaticExits {
    /// The shared tables of an arm.
    pub(super) fn new(carm: &CArm) -> StaticExits {
        let table = |cst: &CState, participant: bool| {
            let who = Who {
                attrs: &[],
                participant,
                mask: 0,
                ratio: &[],
            };
            let mut out = vec![Exit::default(); cst.edges.len()];
            // A rate that is not a number is left to the citizen's own table, which reports it.
            let (_, live) = refresh(cst, &who, 0, &mut out).ok()?;
            Some((out, live))
        };
        let tables = carm
            .chains
            .iter()
            .map(|states| {
                states
                    .iter()
                    .map(|cst| {
                        let fixed = !cst.edges.is_empty()
                            && cst.edges.iter().all(|e| {
                                e.duration.is_empty()
                                    && e.modifiers.is_empty()
                                    && e.bands.is_empty()
                                    && e.service_hr.is_empty()
                            });
                        if !fixed {
                            return None;
                        }
                        Some([table(cst, false)?, table(cst, true)?])
                    })
                    .collect()
            })
            .collect();
        StaticExits { tables }
    }

    /// The shared table of (chain, state) for a participant or not, and whether any of its
    /// exits can fire.
    #[inline(always)]
    pub(super) fn get(
        &self,
        chain: usize,
        state: u16,
        participant: bool,
    ) -> Option<(&[Exit], bool)> {
        self.tables[chain][state as usize].as_ref().map(|t| {
            let (e, live) = &t[participant as usize];
            (e.as_slice(), *live)
        })
    }
}

/// The exponential waiting time of an exit whose 64-bit uniform is `bits`: −ln(1 − U)/rate.
#[inline]
pub(super) fn waiting_time(bits: u64, rate: f64) -> f64 {
    -(-rng::to_unit(bits)).ln_1p() / rate
}

/// Competing exits, each with its own uniform: every exit whose uniform fires competes, and
/// the one with the shortest exponential waiting time wins. Returns the winning exit.
///
/// The guarantee: whether exit k fires depends only on exit k's own rate and uniform, and a
/// fired exit's waiting time only on its own, so lowering one exit's rate can only move the
/// citizens who would have taken that exit — nobody moves between the other exits. The
/// marginals are those of competing risks: P(leave) = 1 − exp(−Σr), P(exit k) = rₖ/Σr of that.
///
/// Computed in two steps that the fast path uses as well: [`fired`] (which exits fire, without
/// a branch per coin flip) and [`pick`] (the winner among them).
#[inline]
pub(super) fn competing(keys: &[u64], exits: &[Exit], bits: u64) -> Option<usize> {
    if keys.len() > MASK_EXITS {
        return earliest(keys, exits, bits);
    }
    pick(fired(keys, exits, bits), keys, exits, || bits)
}

/// The most exits [`fired`] can report (one bit each).
pub(super) const MASK_EXITS: usize = 63;

/// Which exits fire (bit k: exit k's uniform, as 64 bits, is below its threshold), for at most
/// [`MASK_EXITS`] exits. Free of branches on the random numbers, so a loop over citizens in
/// random states mispredicts nothing here; an exit whose threshold is 0 never fires.
#[inline(always)]
pub(super) fn fired(keys: &[u64], exits: &[Exit], bits: u64) -> u64 {
    let mut mask = 0u64;
    for (k, (&key, x)) in keys.iter().zip(exits).enumerate() {
        mask |= ((rng::mix64(bits ^ key) < x.threshold) as u64) << k;
    }
    mask
}

/// The winner among the exits that fired (`mask` from [`fired`]): none, the only one, or —
/// when several fired (rare) — the one with the shortest waiting time, by [`earliest`], which
/// alone needs the cycle's random bits (so a caller that has only the mask computes them
/// only then).
#[inline(always)]
pub(super) fn pick(
    mask: u64,
    keys: &[u64],
    exits: &[Exit],
    bits: impl FnOnce() -> u64,
) -> Option<usize> {
    if mask & mask.wrapping_sub(1) == 0 {
        (mask != 0).then_some(mask.trailing_zeros() as usize)
    } else {
        several(mask, keys, exits, bits())
    }
}

/// The winner among several fired exits (`mask`): the one whose waiting time is certainly the
/// shortest by [`clear_winner`], else the one [`earliest`] computes.
#[cold]
#[inline(never)]
fn several(mask: u64, keys: &[u64], exits: &[Exit], bits: u64) -> Option<usize> {
    let clear = match mask.count_ones() {
        2 => clear_of_two(mask, keys, exits, bits),
        _ => clear_winner(mask, keys, exits, bits),
    };
    clear.or_else(|| earliest(keys, exits, bits))
}

/// The relative widening of [`clear_winner`]'s intervals.
const WIDEN: f64 = 1e-9;

/// The bounds of −ln(1 − u) that [`clear_winner`] compares, widened by [`WIDEN`].
#[inline(always)]
fn widened_bounds(u: f64) -> (f64, f64) {
    let low = u + u * u * 0.5;
    // u³/(3(1 − u)) ≤ 2u³/3 for u ≤ 1/2 (the usual case): no division.
    let tail = match u <= 0.5 {
        true => u * u * u * (2.0 / 3.0),
        false => u * u * u / (3.0 * (1.0 - u)),
    };
    let high = low + tail;
    (low * (1.0 - WIDEN), high * (1.0 + WIDEN))
}

/// Whether [`clear_winner`] may compare the intervals of an exit of this rate.
#[inline(always)]
fn rate_in_range(rate: f64) -> bool {
    (1e-100..1e100).contains(&rate)
}

/// [`clear_winner`] for exactly two fired exits (`mask`), the usual case of several, with
/// the same arithmetic and without its loops: the lower exit a wins when its interval ends
/// below b's start, b when its interval ends below a's start (at most one holds), else the
/// logarithms decide. That is clear_winner's answer: if a's interval ends below b's start,
/// it ends below b's end too, so clear_winner's first pass keeps a (and the reverse for b).
#[inline(always)]
fn clear_of_two(mask: u64, keys: &[u64], exits: &[Exit], bits: u64) -> Option<usize> {
    let a = mask.trailing_zeros() as usize;
    let b = 63 - mask.leading_zeros() as usize;
    let (ra, rb) = (exits.get(a)?.rate, exits.get(b)?.rate);
    if !(rate_in_range(ra) && rate_in_range(rb)) {
        return None;
    }
    let (la, ha) = widened_bounds(rng::to_unit(rng::mix64(bits ^ keys[a])));
    let (lb, hb) = widened_bounds(rng::to_unit(rng::mix64(bits ^ keys[b])));
    let a_first = ha * rb < lb * ra;
    let b_first = hb * ra < la * rb;
    let k = if b_first { b } else { a };
    (a_first | b_first).then_some(k)
}

/// The fired exit (of `mask`) whose waiting time [`earliest`] would certainly find the
/// shortest, judged without a logarithm; None when that takes the logarithms.
///
/// For a uniform u in [0, 1), u + u²/2 ≤ −ln(1 − u) ≤ u + u²/2 + u³/(3(1 − u)) (the series of
/// −ln(1 − u) has only positive terms, the third and later ones summing to at most
/// u³/3 · 1/(1 − u)). Each fired exit's waiting time −ln(1 − u)/rate thus lies in an interval,
/// widened here by a relative 10⁻⁹ — far more than the rounding of `ln_1p`, the division and
/// the products that compare the intervals (a few units of 10⁻¹⁶) — so that it holds the
/// computed value too. When one exit's interval ends below every other's start, its computed
/// waiting time is the strictly smallest, and [`earliest`] would pick it: the same winner, bit
/// for bit, for a fraction of the cost. For u ≤ 1/2 the last term is at most 2u³/3, which is
/// used instead (no division). More than eight fired exits, or a rate outside 10⁻¹⁰⁰…10¹⁰⁰ (an
/// infinite one, say), are left to the logarithms.
fn clear_winner(mask: u64, keys: &[u64], exits: &[Exit], bits: u64) -> Option<usize> {
    // The fired exits (at most eight, else the logarithms decide): exit, rate and the widened
    // bounds of −ln(1 − u). Rates far from the ends of the floating-point range only, so that
    // the products below neither overflow nor underflow.
    let mut fired = [(0usize, 0f64, 0f64, 0f64); 8];
    let mut n = 0;
    let mut rest = mask;
    while rest != 0 {
        let k = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        let rate = exits.get(k)?.rate;
        let u = rng::to_unit(rng::mix64(bits ^ keys[k]));
        if n == fired.len() || !rate_in_range(rate) {
            return None;
        }
        let (low, high) = widened_bounds(u);
        fired[n] = (k, rate, low, high);
        n += 1;
    }
    let fired = &fired[..n];
    // high_a / rate_a < low_b / rate_b, compared as products (rates are positive): the
    // exit whose interval ends first, then whether it ends before every other starts.
    let mut best = 0;
    for (j, f) in fired.iter().enumerate().skip(1) {
        if f.3 * fired[best].1 < fired[best].3 * f.1 {
            best = j;
        }
    }
    let (k, rate, _, high) = fired[best];
    fired
        .iter()
        .enumerate()
        .all(|(j, &(_, rate_j, low_j, _))| j == best || high * rate_j < low_j * rate)
        .then_some(k)
}

/// The fired exit with the shortest exponential waiting time (the first of equal ones), or
/// None when no exit fires: the rule itself, used where several exits fired.
#[cold]
#[inline(never)]
pub(super) fn earliest(keys: &[u64], exits: &[Exit], bits: u64) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut best_t = f64::INFINITY;
    for (k, (&key, x)) in keys.iter().zip(exits).enumerate() {
        let u = rng::mix64(bits ^ key);
        if u < x.threshold {
            let t = waiting_time(u, x.rate);
            if best.is_none() || t < best_t {
                best = Some(k);
                best_t = t;
            }
        }
    }
    best
}

/// The destination at the planned length: by the `on_max` shares, or in proportion to the
/// state's current rates. Either way each destination has its own uniform and the shortest
/// exponential waiting time (uniform ÷ share or rate) wins, with the same guarantee as
/// [`competing`]. Returns the state itself when nothing can leave.
pub(super) fn forced_exit(
    cst: &CState,
    who: &Who,
    months: u32,
    bits: u64,
    me: u16,
) -> std::result::Result<u16, NanRate> {
    let pick = |cands: &mut dyn Iterator<Item = (u16, f64, u64)>| {
        let mut best = (me, f64::INFINITY);
        for (to, w, key) in cands {
            if w > 0.0 {
                let t = waiting_time(rng::mix64(bits ^ key), w);
                if t < best.1 {
                    best = (to, t);
                }
            }
        }
        best.0
    };
    if let Some(shares) = &cst.on_max {
        return Ok(pick(&mut shares.iter().copied()));
    }
    let mut r = vec![0.0; cst.edges.len()];
    rates(cst, who, months, &mut r)?;
    Ok(pick(
        &mut cst.edges.iter().zip(&r).map(|(e, &r)| (e.to, r, e.key)),
    ))
}

/// The error for a rate that is not a number.
pub(super) fn nan_error(
    carm: &CArm,
    chain: usize,
    state: u16,
    exit: usize,
    citizen: usize,
    m: usize,
) -> Error {
    let states = &carm.chains[chain];
    let from = &states[state as usize];
    let to = from
        .edges
        .get(exit)
        .map_or("?", |e| states[e.to as usize].id.as_str());
    Error::Runtime(format!(
        "the rate of `{}` → `{to}` for citizen {citizen} in cycle {m} is not a number: a \
         hazard ratio of 0 met one that is infinite; check the hazard ratios and attribute \
         modifiers of that transition",
        from.id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// [`bound_of`] is never below [`exit_of`], at the ends of the range and at random rates
    /// of every magnitude, and is close above it for the usual rates (within a relative
    /// 0.51·r + 10⁻⁸ and a unit up to r = 0.1): the bound is what an own table may hold, and
    /// rarely costs an exact entry.
    #[test]
    fn a_bound_is_at_least_the_exact_threshold_and_close_to_it() {
        let mut r = rng::SplitMix::new(4, 2);
        let mut rates = vec![
            0.0,
            -1.0,
            f64::MIN_POSITIVE,
            5e-324,
            1e-300,
            5.421010862427522e-20, // 2⁻⁶⁴
            5.421010862427523e-20,
            1e-19,
            1e-12,
            0.5,
            1.0,
            36.0,
            37.5,
            40.0,
            745.0,
            1e300,
            f64::INFINITY,
        ];
        let mut within = |lo: f64, hi: f64| lo + (hi - lo) * rng::to_unit(r.next_u64());
        for _ in 0..200_000 {
            let exponent = within(-70.0, 4.0);
            rates.push(within(1.0, 10.0) * 10f64.powf(exponent));
        }
        for &rate in &rates {
            let (exact, bound) = (exit_of(rate), bound_of(rate));
            assert!(bound.threshold >= exact.threshold, "rate {rate:e}");
            assert_eq!(bound.rate.to_bits(), rate.to_bits());
            // r / (1 − e^−r) − 1 ≤ 0.51·r up to r = 0.1 (the usual monthly rates).
            let slack = exact.threshold as f64 * (0.51 * rate + 1e-8) + 1.0;
            assert!(
                !(0.0..=0.1).contains(&rate) || (bound.threshold - exact.threshold) as f64 <= slack,
                "rate {rate:e}: {} over {}",
                bound.threshold,
                exact.threshold
            );
        }
    }

    /// A table of bounds decides as the exact table does once [`exact_fired`] has made exact
    /// the entries whose coins fell below their bounds, and only those: the exits that fire,
    /// the winner among them, and the entries it leaves as bounds (whose coins did not fall
    /// below them). Rates up to certain, so that coins land between bound and exact entry.
    #[test]
    fn bounds_made_exact_where_their_coins_fall_decide_as_the_exact_table() {
        let mut r = rng::SplitMix::new(8, 5);
        let mut between = 0;
        for case in 0..20_000u64 {
            let n = 1 + (case % 7) as usize;
            let keys: Vec<u64> = (0..n).map(|k| rng::mix64(case * 31 + k as u64)).collect();
            let rates: Vec<f64> = (0..n)
                .map(|_| {
                    let top = [0.05, 3.0, 40.0][(r.next_u64() % 3) as usize];
                    top * rng::to_unit(r.next_u64())
                })
                .collect();
            let exact: Vec<Exit> = rates.iter().map(|&x| exit_of(x)).collect();
            let mut table: Vec<Exit> = rates.iter().map(|&x| bound_of(x)).collect();
            let mut inexact = (1u64 << n) - 1;
            let bits = r.next_u64();
            let on_bounds = fired(&keys, &table, bits);
            let mask = exact_fired(&keys, &mut table, bits, on_bounds, &mut inexact);
            assert_eq!(mask, fired(&keys, &exact, bits), "case {case}");
            assert_eq!(
                pick(mask, &keys, &table, || bits),
                earliest(&keys, &exact, bits),
                "case {case}"
            );
            // Made exact: the entries whose coins fell below their bounds, and no other.
            assert_eq!(inexact, ((1u64 << n) - 1) & !on_bounds, "case {case}");
            for k in 0..n {
                let want = match on_bounds & (1 << k) != 0 {
                    true => exact[k].threshold,
                    false => bound_of(rates[k]).threshold,
                };
                assert_eq!(table[k].threshold, want, "case {case}, exit {k}");
            }
            between += (on_bounds != mask) as u32;
        }
        assert!(
            between > 0,
            "some coin falls between a bound and its exact entry"
        );
    }

    /// With several exits fired, [`pick`] (the bounds first, the logarithms only when they do
    /// not decide) names the same exit as [`earliest`] (the logarithms always), over rates from
    /// rare to certain and ties of equal rates; the bounds decide most such cases; and for two
    /// fired exits [`clear_of_two`] answers as [`clear_winner`] does.
    #[test]
    fn the_bounds_pick_the_exit_the_logarithms_pick() {
        let mut r = rng::SplitMix::new(11, 3);
        let rates = [
            1e-4,
            0.01,
            0.1,
            0.5,
            0.7,
            1.0,
            2.0,
            5.0,
            40.0,
            f64::INFINITY,
        ];
        let (mut several, mut decided) = (0, 0);
        // Cases of exactly two fired exits that the bounds left undecided and decided.
        let mut twos = [0u32; 2];
        for case in 0..200_000u64 {
            let width = 2 + (case % 4) as usize;
            let keys: Vec<u64> = (0..width).map(|_| r.next_u64()).collect();
            let exits: Vec<Exit> = (0..width)
                .map(|k| {
                    // Some cases with equal rates (waiting times compared on the uniforms).
                    let i = if case % 7 == 0 {
                        3
                    } else {
                        r.next_u64() as usize % rates.len()
                    };
                    exit_of(rates[(i + k * (case % 3) as usize) % rates.len()])
                })
                .collect();
            let bits = r.next_u64();
            let mask = fired(&keys, &exits, bits);
            if mask.count_ones() < 2 {
                continue;
            }
            several += 1;
            let clear = clear_winner(mask, &keys, &exits, bits);
            decided += clear.is_some() as u32;
            if mask.count_ones() == 2 {
                // The shortcut for two gives the loop's answer, also where it is None.
                let two = clear_of_two(mask, &keys, &exits, bits);
                assert_eq!(two, clear, "case {case}");
                twos[two.is_some() as usize] += 1;
            }
            assert_eq!(
                pick(mask, &keys, &exits, || bits),
                earliest(&keys, &exits, bits),
                "case {case}"
            );
        }
        assert!(several > 50_000, "{several}");
        assert!(decided * 2 > several, "{decided} of {several}");
        assert!(twos[0] > 1_000 && twos[1] > 10_000, "{twos:?}");
    }

    /// At a duration step, refreshing only the exits whose hazard ratio steps there
    /// ([`CState::crossed`]) leaves the table exactly as a full [`refresh`] makes it, for
    /// states with up to eight exits, duration steps, modifiers, bands, participation and
    /// services, whatever the months between the table's refresh and the step; and missing
    /// the step's own month does not.
    #[test]
    fn refreshing_the_exits_that_step_makes_the_full_table() {
        use super::super::compile::{CEdge, CState};
        let mut r = rng::SplitMix::new(5, 8);
        let mut unit = || (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let (mut steps, mut missed) = (0, 0);
        for case in 0..3_000 {
            let width = 1 + case % 8;
            let edges: Vec<CEdge> = (0..width)
                .map(|k| {
                    let mut months: Vec<u32> = (0..(k + case) % 4)
                        .map(|_| (unit() * 40.0) as u32)
                        .collect();
                    months.sort_unstable();
                    months.dedup();
                    CEdge {
                        to: k as u16,
                        key: k as u64,
                        rate: 0.001 + unit() * 0.2,
                        duration: months.iter().map(|&m| (m, 0.2 + unit() * 3.0)).collect(),
                        modifiers: vec![(0, unit() - 0.5, 1.0)],
                        participant_hr: 0.5 + unit(),
                        service_hr: vec![(0, 0.5 + unit())],
                        bands: vec![(1, vec![(0.0, 1.2), (2.0, 0.8)])],
                    }
                })
                .collect();
            let mut cst = CState {
                keys: edges.iter().map(|e| e.key).collect(),
                breakpoints: edges
                    .iter()
                    .flat_map(|e| e.duration.iter().map(|d| d.0))
                    .collect(),
                edges,
                ..Default::default()
            };
            cst.breakpoints.sort_unstable();
            cst.breakpoints.dedup();
            let attrs = [unit() * 4.0, unit() * 4.0];
            let who = Who {
                attrs: &attrs,
                participant: case % 2 == 0,
                mask: (case % 3 == 0) as u32,
                ratio: &[0.7],
            };
            let bits = |t: &[Exit]| t.iter().map(|x| (x.threshold, x.rate.to_bits())).collect();
            let since = (unit() * 40.0) as u32;
            let mut table = vec![Exit::default(); width];
            let (until, _) = refresh(&cst, &who, since, &mut table).ok().unwrap();
            if until == u32::MAX {
                continue;
            }
            for now in until..until + 13 {
                let mut full = vec![Exit::default(); width];
                let live = refresh(&cst, &who, now, &mut full).ok().unwrap().1;
                let want: Vec<(u64, u64)> = bits(&full);
                let mut part = table.clone();
                let stale = cst.crossed(until, now);
                let part_live = refresh_some(&cst, &who, now, &mut part, stale, exit_of)
                    .ok()
                    .unwrap();
                assert_eq!(bits(&part), want, "case {case}, {since} -> {now}");
                assert_eq!(part_live, live);
                steps += 1;
                // The step at `until` itself must be refreshed.
                let mut short = table.clone();
                let late = cst.crossed(until + 1, now);
                refresh_some(&cst, &who, now, &mut short, late, exit_of)
                    .ok()
                    .unwrap();
                missed += (bits(&short) != want) as u32;
            }
        }
        assert!(steps > 10_000, "{steps}");
        assert!(missed > 1_000, "{missed}");
    }
}
