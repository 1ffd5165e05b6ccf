//! Synthetic citizens: entry cycle, start states and attributes, drawn from the scenario's
//! distributions. Each citizen has one random stream per purpose — the offer, the start
//! states and each attribute by its id — so a citizen's draws depend neither on how many
//! citizens there are before it, nor on the thread that builds it, nor on the other
//! attributes (a gamma sampler that rejects a variable number of draws cannot shift them).

use crate::rng::{SplitMix, citizen_key, name_key};
use crate::scenario::param::unit;
use crate::scenario::{COURSE, HOUSING, Scenario};
use rayon::prelude::*;

/// The citizens of one replication. Ids are assigned in entry order, so the citizens present in
/// cycle `m` are always the prefix `0..entered[m]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Citizens {
    /// Number of citizens.
    pub n: usize,
    /// Entry cycle per citizen.
    pub entry: Vec<u32>,
    /// Number of citizens entered by the start of each cycle (inclusive), per cycle.
    pub entered: Vec<usize>,
    /// Attribute values, `n × attributes` row-major.
    pub attrs: Vec<f64>,
    /// Number of attributes.
    pub n_attrs: usize,
    /// Start state per chain.
    pub start: Vec<[u16; 2]>,
    /// One uniform per citizen that decides, in every arm alike, whether the citizen is among
    /// the share offered the arm's programme (common random numbers across arms).
    pub offer_u: Vec<f64>,
    /// Each citizen's number in the replication's cohort, by which its random numbers are
    /// keyed: `0..n` for a whole cohort, the original numbers in a [`Citizens::subset`].
    pub id: Vec<u32>,
}

impl Citizens {
    /// Attribute `a` of citizen `i`.
    #[inline]
    pub fn attr(&self, i: usize, a: usize) -> f64 {
        self.attrs[i * self.n_attrs + a]
    }

    /// The citizens `i` with `keep[i] == want`, in the same order and keeping their numbers
    /// (`id`), so that each draws the random numbers it draws in the whole cohort.
    pub fn subset(&self, keep: &[bool], want: bool) -> Citizens {
        let picked: Vec<usize> = (0..self.n).filter(|&i| keep[i] == want).collect();
        let na = self.n_attrs;
        // Citizens are in entry order, so those entered by a cycle are a prefix of the subset.
        let mut before = vec![0usize; self.n + 1];
        for i in 0..self.n {
            before[i + 1] = before[i] + (keep[i] == want) as usize;
        }
        Citizens {
            n: picked.len(),
            entry: picked.iter().map(|&i| self.entry[i]).collect(),
            entered: self
                .entered
                .iter()
                .map(|&e| before[e.min(self.n)])
                .collect(),
            attrs: picked
                .iter()
                .flat_map(|&i| &self.attrs[i * na..(i + 1) * na])
                .copied()
                .collect(),
            n_attrs: na,
            start: picked.iter().map(|&i| self.start[i]).collect(),
            offer_u: picked.iter().map(|&i| self.offer_u[i]).collect(),
            id: picked.iter().map(|&i| self.id[i]).collect(),
        }
    }
}

fn pick(cumulative: &[(usize, f64)], u: f64) -> u16 {
    cumulative
        .iter()
        .find(|(_, c)| u < *c)
        .or(cumulative.last())
        .map(|(i, _)| *i as u16)
        .unwrap_or(0)
}

/// Synthesise the citizens of replication `rep`.
pub fn synthesize(sc: &Scenario, seed: u64, rep: u32) -> Citizens {
    let horizon = sc.sim.horizon as usize;
    let mut entry = Vec::with_capacity(sc.cohort.size());
    let mut entered = Vec::with_capacity(horizon);
    for cycle in 0..horizon {
        if let Some(&k) = sc.cohort.inflow.get(cycle) {
            entry.extend(std::iter::repeat_n(cycle as u32, k as usize));
        }
        entered.push(entry.len());
    }
    let n = entry.len();
    let n_attrs = sc.attributes.len();
    let (k_offer, k_course, k_housing) = (
        name_key("offer"),
        name_key("start:course"),
        name_key("start:housing"),
    );
    let k_attrs: Vec<u64> = sc
        .attributes
        .iter()
        .map(|a| name_key(&format!("attr:{}", a.id)))
        .collect();
    // Blocks of citizens are drawn at the same time; a citizen's draws depend only on its
    // own key, so the blocks put together are the same whatever the number of cores.
    let block = |lo: usize, hi: usize| {
        let mut attrs = Vec::with_capacity((hi - lo) * n_attrs);
        let mut start = Vec::with_capacity(hi - lo);
        let mut offer_u = Vec::with_capacity(hi - lo);
        for i in lo..hi {
            let ck = citizen_key(seed, rep, i as u32);
            let draw = |purpose: u64| unit(&mut SplitMix::new(ck, purpose));
            offer_u.push(draw(k_offer));
            start.push([
                pick(&sc.cohort.start_state, draw(k_course)),
                pick(&sc.cohort.start_housing, draw(k_housing)),
            ]);
            for (a, &k) in sc.attributes.iter().zip(&k_attrs) {
                attrs.push(a.dist.sample(&mut SplitMix::new(ck, k)));
            }
        }
        (attrs, start, offer_u)
    };
    const BLOCK: usize = 16 * 1024;
    let blocks: Vec<_> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| block(b * BLOCK, ((b + 1) * BLOCK).min(n)))
        .collect();
    let mut attrs = Vec::with_capacity(n * n_attrs);
    let mut start = Vec::with_capacity(n);
    let mut offer_u = Vec::with_capacity(n);
    for (a, s, o) in blocks {
        attrs.extend(a);
        start.extend(s);
        offer_u.extend(o);
    }
    const { assert!(COURSE == 0 && HOUSING == 1) };
    Citizens {
        n,
        entry,
        entered,
        attrs,
        n_attrs,
        start,
        offer_u,
        id: (0..n as u32).collect(),
    }
}
