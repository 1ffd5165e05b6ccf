//! Booking classes: which conditional accounts apply to each citizen, and whether it
//! participates.

use crate::scenario::{MAX_CONDITIONAL_ACCOUNTS, Scenario};

/// Booking classes: which conditional accounts apply to a citizen, and whether it participates.
#[derive(Debug, Clone)]
pub struct ClassMap {
    /// Distinct condition masks (bit j: account j's `when` holds).
    pub masks: Vec<u64>,
}

impl ClassMap {
    /// Number of classes (each mask × participant or not).
    pub fn n_classes(&self) -> usize {
        self.masks.len() * 2
    }

    /// Whether account `j` applies to class `class`.
    pub fn applies(&self, sc: &Scenario, j: usize, class: usize) -> bool {
        sc.accounts[j].when.is_none() || self.masks[class / 2] & (1u64 << j) != 0
    }
}

/// The most distinct groups of account conditions (`when`) in one replication. Each group is
/// two booking classes (participants or not) and every class has its own count arrays, so the
/// limit keeps both the class id (a `u16`) and the memory bounded.
pub const MAX_CONDITION_GROUPS: usize = 2048;

/// Each citizen's static class (its mask index) and the map of masks, in first-seen order.
/// Fails when the accounts' conditions split the citizens into more than
/// [`MAX_CONDITION_GROUPS`] groups.
pub fn static_classes(
    sc: &Scenario,
    cit: &crate::cohort::Citizens,
) -> crate::error::Result<(Vec<u16>, ClassMap)> {
    let mut masks: Vec<u64> = Vec::new();
    let mut out = Vec::with_capacity(cit.n);
    for i in 0..cit.n {
        let mut mask = 0u64;
        for (j, a) in sc
            .accounts
            .iter()
            .enumerate()
            .take(MAX_CONDITIONAL_ACCOUNTS)
        {
            if let Some(w) = &a.when {
                let x = cit.attr(i, w.attribute);
                if x >= w.min && x <= w.max {
                    mask |= 1 << j;
                }
            }
        }
        let k = match masks.iter().position(|&m| m == mask) {
            Some(k) => k,
            None if masks.len() < MAX_CONDITION_GROUPS => {
                masks.push(mask);
                masks.len() - 1
            }
            None => {
                return Err(crate::error::Error::Runtime(format!(
                    "the accounts' `when` conditions split the citizens into more than \
                     {MAX_CONDITION_GROUPS} groups; use fewer conditional accounts or coarser \
                     conditions"
                )));
            }
        };
        out.push(k as u16);
    }
    if masks.is_empty() {
        masks.push(0);
    }
    Ok((out, ClassMap { masks }))
}
