//! The `[accounts]` section and the refusion staircase.

use super::*;

pub(super) fn check_accounts(
    c: &mut Checker,
    raw: Option<&IndexMap<String, RawAccount>>,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Vec<Account> {
    let mut out = Vec::new();
    let Some(map) = raw else { return out };
    for (index, (id, a)) in map.iter().enumerate() {
        let path = p(&["accounts", id]);
        if a.when.is_some() && index >= MAX_CONDITIONAL_ACCOUNTS {
            c.err(
                &with(&path, "when"),
                format!(
                    "accounts with `when` must be among the first {} accounts; move this one up",
                    MAX_CONDITIONAL_ACCOUNTS
                ),
            );
        }
        check_id(c, &path, id);
        let unit = a
            .unit
            .clone()
            .unwrap_or_else(|| "dkk".into())
            .to_lowercase();
        // Other spellings of kroner would silently make the account a non-money quantity.
        if ["kr", "kr.", "kroner", "dkr", "dkk.", "mio. kr.", "mio"].contains(&unit.as_str()) {
            c.err(
                &with(&path, "unit"),
                format!("unit `{unit}`: write `dkk` for amounts in kroner (amounts are always whole kroner, not millions)"),
            );
        }
        let payer = match a.payer.as_deref() {
            None => {
                c.err(&path, format!("account `{id}` needs `payer`; allowed: bif, sof, suf, region, state, citizen"));
                Payer::Bif
            }
            Some(s) => Payer::parse(s).unwrap_or_else(|| {
                c.err(
                    &with(&path, "payer"),
                    format!("unknown payer `{s}`; allowed: bif, sof, suf, region, state, citizen"),
                );
                Payer::Bif
            }),
        };
        let amount = match &a.amount {
            Some(spec) => c.param(
                &with(&path, "amount"),
                spec,
                ParamKind::Amount,
                a.source.as_ref(),
            ),
            None => {
                c.err(&path, format!("account `{id}` needs `amount` (per citizen-month in `states`, or per transition in `transitions`)"));
                continue;
            }
        };
        let price = a.price.as_ref().map(|spec| {
            c.param(
                &with(&path, "price"),
                spec,
                ParamKind::Price,
                a.source.as_ref(),
            )
        });
        if price.is_some() && unit == "dkk" {
            c.err(
                &with(&path, "price"),
                "`price` converts a unit such as hours into DKK; this account is already in `dkk`",
            );
        }
        let basis = match (&a.states, &a.transitions) {
            (Some(states), None) => {
                let mut v = Vec::new();
                for (i, s) in states.iter().enumerate() {
                    match find_state(chains, s) {
                        Some(cs) if v.contains(&cs) => c.err(
                            &with(&with(&path, "states"), i),
                            format!("state `{s}` is listed twice; it would be booked twice"),
                        ),
                        Some(cs) => v.push(cs),
                        None => c.err(
                            &with(&with(&path, "states"), i),
                            format!("unknown state `{s}`; known: {}", all_ids(chains)),
                        ),
                    }
                }
                if states.is_empty() {
                    c.err(
                        &with(&path, "states"),
                        format!(
                            "`states` is empty: give the states the amount is booked in, e.g. \
                             states = [\"course\"]; known: {}",
                            all_ids(chains)
                        ),
                    );
                }
                Basis::States(v)
            }
            (None, Some(trs)) => {
                let mut v = Vec::new();
                for (i, t) in trs.iter().enumerate() {
                    let tp = with(&with(&path, "transitions"), i);
                    let Some((f, to)) = t.split_once("->") else {
                        c.err(
                            &tp,
                            format!(
                                "write a transition as \"FROM->TO\" (or \"*->TO\"), got \"{t}\""
                            ),
                        );
                        continue;
                    };
                    let (f, to) = (f.trim(), to.trim());
                    let Some((ci, ti)) = find_state(chains, to) else {
                        c.err(
                            &tp,
                            format!("unknown state `{to}`; known: {}", all_ids(chains)),
                        );
                        continue;
                    };
                    let fi = if f == "*" {
                        None
                    } else {
                        match chains[ci].index(f) {
                            Some(x) => Some(x),
                            None => {
                                c.err(
                                    &tp,
                                    format!(
                                        "unknown {} state `{f}`; known: {}",
                                        chains[ci].name,
                                        known(chains[ci].states.iter().map(|s| s.id.clone()))
                                    ),
                                );
                                continue;
                            }
                        }
                    };
                    if let Some(problem) = move_problem(&v, (ci, fi, ti), t) {
                        c.err(&tp, problem);
                        continue;
                    }
                    v.push((ci, fi, ti));
                }
                if trs.is_empty() {
                    c.err(
                        &with(&path, "transitions"),
                        "`transitions` is empty: give the moves the amount is booked on, e.g. \
                         transitions = [\"course->job\"]",
                    );
                }
                Basis::Transitions(v)
            }
            (Some(_), Some(_)) => {
                c.err(&path, "give either `states` (booked each month) or `transitions` (booked once), not both");
                continue;
            }
            (None, None) => {
                c.err(&path, format!("account `{id}` needs `states` (booked per citizen-month) or `transitions` (booked once per move)"));
                continue;
            }
        };
        let when = a
            .when
            .as_ref()
            .and_then(|w| check_when(c, &with(&path, "when"), w, attributes));
        let discount_rate = a.discount_rate.as_ref().map(|spec| {
            c.param(
                &with(&path, "discount_rate"),
                spec,
                ParamKind::DiscountRate,
                a.source.as_ref(),
            )
        });
        let while_served = a.while_served.as_ref().and_then(|w| {
            let wp = with(&path, "while_served");
            if !matches!(basis, Basis::States(_)) {
                c.err(&wp, "`while_served` needs an account booked on `states` (per citizen-month), not on `transitions`");
                return None;
            }
            if a.refusion == Some(true) {
                c.err(&wp, "`while_served` cannot change a refusion account (the state's reimbursement would no longer match); book the replaced effort on its own account");
                return None;
            }
            let Some(service) = w.service.clone() else {
                c.err(&wp, "missing `service`: the id of the service whose holders book the changed amount");
                return None;
            };
            let factor = match &w.factor {
                Some(spec) => c.param(&with(&wp, "factor"), spec, ParamKind::Price, a.source.as_ref()),
                None => {
                    c.err(&wp, "missing `factor`: the amount is multiplied by it while the service is held (0 suspends it)");
                    return None;
                }
            };
            Some(WhileServed { service, factor })
        });
        out.push(Account {
            id: id.clone(),
            label_da: a.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: a.label_en.clone().unwrap_or_else(|| id.clone()),
            unit,
            payer,
            amount,
            price,
            basis,
            when,
            discount_rate,
            refusion: a.refusion.unwrap_or(false),
            transfer: a.transfer.unwrap_or(false),
            investment: a.investment.unwrap_or(false),
            while_served,
        });
    }
    out
}

/// The 2016 staircase: weeks 1–4 80 %, 5–26 40 %, 27–52 30 %, from week 53 20 %.
pub(super) const DEFAULT_REFUSION: [(i64, f64); 4] = [(1, 0.8), (5, 0.4), (27, 0.3), (53, 0.2)];
pub(super) const REFUSION_SOURCE: &str = "Lov om kommunernes finansiering af visse offentlige ydelser udbetalt af kommunerne, \
     Udbetaling Danmark og arbejdsløshedskasserne §5 stk. 2 (refusionsreformen, in force 2016)";

pub(super) fn check_refusion(
    c: &mut Checker,
    raw: Option<&RawRefusion>,
    accounts: &[Account],
    chains: &[Chain],
    attributes: &[Attribute],
) -> Option<Refusion> {
    let used = accounts.iter().any(|a| a.refusion);
    let base = p(&["refusion"]);
    if raw.is_none() && !used {
        return None;
    }
    if !used {
        c.err(&base, "[refusion] is given but no account has `refusion = true`; mark the benefit accounts the state reimburses");
        return None;
    }
    let r = raw.cloned().unwrap_or_default();
    let source = r
        .source
        .clone()
        .or_else(|| Some(REFUSION_SOURCE.to_string()));
    let mut steps = Vec::new();
    match &r.steps {
        None => {
            for (i, (week, rate)) in DEFAULT_REFUSION.iter().enumerate() {
                let spec = ParamSpec(param::RawParam::fixed(*rate));
                let pid = c.param(
                    &with(&with(&with(&base, "steps"), i), "rate"),
                    &spec,
                    ParamKind::Share,
                    source.as_ref(),
                );
                steps.push((*week as u32, pid));
            }
        }
        Some(list) => {
            for (i, st) in list.iter().enumerate() {
                let sp = with(&with(&base, "steps"), i);
                let week = c.int(
                    &with(&sp, "from_week"),
                    st.from_week,
                    None,
                    1,
                    100_000,
                    "the first week on benefits the rate applies to",
                );
                if i == 0 && week != 1 {
                    c.err(
                        &with(&sp, "from_week"),
                        format!("the first step must start at week 1, got {week}"),
                    );
                }
                if let Some(&(prev, _)) = steps.last()
                    && week as u32 <= prev
                {
                    c.err(
                        &with(&sp, "from_week"),
                        format!("steps must have increasing `from_week`; {week} follows {prev}"),
                    );
                }
                let Some(rate) = &st.rate else {
                    c.err(
                        &sp,
                        "a refusion step needs `rate` (the share the state reimburses)",
                    );
                    continue;
                };
                let pid = c.param(&with(&sp, "rate"), rate, ParamKind::Share, source.as_ref());
                steps.push((week as u32, pid));
            }
            if list.is_empty() {
                c.err(
                    &with(&base, "steps"),
                    "give at least one step, e.g. { from_week = 1, rate = 0.8 }",
                );
            }
        }
    }
    let prior_weeks_attribute = r.prior_weeks_attribute.as_ref().and_then(|id| {
        let i = attributes.iter().position(|a| &a.id == id);
        match i {
            None => c.err(
                &with(&base, "prior_weeks_attribute"),
                format!(
                    "unknown attribute `{id}`; known: {}",
                    known(attributes.iter().map(|a| a.id.clone()))
                ),
            ),
            Some(ai) if attributes[ai].dist.support().0 < 0.0 => c.err(
                &with(&base, "prior_weeks_attribute"),
                format!(
                    "attribute `{id}` holds weeks on benefits before the start, which cannot be \
                     below 0, but it is {}; give it `min = 0`",
                    attributes[ai].dist.describe()
                ),
            ),
            Some(_) => {}
        }
        i
    });
    let mut clock_states: Vec<Vec<bool>> = chains
        .iter()
        .map(|ch| vec![false; ch.states.len()])
        .collect();
    for a in accounts.iter().filter(|a| a.refusion) {
        match &a.basis {
            Basis::States(v) => {
                for &(ci, si) in v {
                    clock_states[ci][si] = true;
                }
            }
            Basis::Transitions(_) => c.err(
                &p(&["accounts", &a.id, "refusion"]),
                "refusion applies to benefits paid per month in states, not to one-off amounts on transitions",
            ),
        }
    }
    Some(Refusion {
        steps,
        prior_weeks_attribute,
        clock_states,
    })
}
