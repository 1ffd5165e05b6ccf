//! The `[[arms]]` sections: windows, services, costs, capacity and effects.

use super::*;

pub(super) fn check_window(
    c: &mut Checker,
    path: &[Seg],
    from: Option<i64>,
    to: Option<i64>,
    horizon_months: u32,
) -> (u32, u32) {
    let last = horizon_months as i64 - 1;
    let f = c.int(
        &with(path, "from_month"),
        from,
        Some(0),
        0,
        last,
        "first month (0 = the start month)",
    ) as u32;
    let t = c.int(
        &with(path, "to_month"),
        to,
        Some(last),
        0,
        last.max(0),
        "last month, inclusive",
    ) as u32;
    if t < f {
        c.err(
            &with(path, "to_month"),
            format!("`to_month` ({t}) is before `from_month` ({f})"),
        );
    }
    (f, t)
}

pub(super) fn check_services(
    c: &mut Checker,
    arm_path: &[Seg],
    raw: Option<&IndexMap<String, RawService>>,
    horizon_months: u32,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Vec<Service> {
    let mut out = Vec::new();
    for (id, sv) in raw.into_iter().flatten() {
        let path = with(&with(arm_path, "services"), id);
        check_id(c, &path, id);
        let Some((fte, staffing)) = check_staffing(c, &path, id, sv, horizon_months) else {
            continue;
        };
        let cost_per_fte_year = match &sv.cost_per_fte_year {
            Some(spec) => c.param(
                &with(&path, "cost_per_fte_year"),
                spec,
                ParamKind::Price,
                sv.source.as_ref(),
            ),
            None => {
                c.err(&path, format!("service `{id}` needs `cost_per_fte_year` (DKK per full-time staff per year)"));
                continue;
            }
        };
        let payer = payer_of(c, &path, sv.payer.as_ref(), &format!("service `{id}`"));
        let (from_month, to_month) =
            check_window(c, &path, sv.from_month, sv.to_month, horizon_months);
        out.push(Service {
            id: id.clone(),
            label_da: sv.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: sv.label_en.clone().unwrap_or_else(|| id.clone()),
            fte,
            cost_per_fte_year,
            payer,
            from_month,
            to_month,
            capacity: check_capacity(c, &path, sv, chains, attributes),
            staffing,
        });
    }
    out
}

/// `fte`, `fte_schedule` or `staff_to_demand`: the FTE parameter (the peak of a schedule, the
/// most that may be staffed to demand) and how the staff vary.
fn check_staffing(
    c: &mut Checker,
    path: &[Seg],
    id: &str,
    sv: &RawService,
    horizon_months: u32,
) -> Option<(ParamId, Staffing)> {
    if let Some(periods) = &sv.fte_schedule {
        let sp = with(path, "fte_schedule");
        if sv.fte.is_some() || sv.staff_to_demand.is_some() {
            c.err(
                &sp,
                format!(
                    "service `{id}`: give one of `fte`, `fte_schedule` or `staff_to_demand` \
                     (with `fte` as its maximum), not `fte_schedule` together with another"
                ),
            );
            return None;
        }
        if periods.is_empty() {
            c.err(&sp, format!("service `{id}`: `fte_schedule` is empty; give at least one `{{ from_month = 0, fte = … }}`"));
            return None;
        }
        let mut out: Vec<(u32, f64)> = Vec::with_capacity(periods.len());
        for (k, per) in periods.iter().enumerate() {
            let pp = with(&sp, k);
            let from = c.int(
                &with(&pp, "from_month"),
                per.from_month,
                None,
                0,
                horizon_months as i64 - 1,
                "first month of the period (0 = the start month)",
            ) as u32;
            if let Some(&(prev, _)) = out.last()
                && from <= prev
            {
                c.err(
                    &with(&pp, "from_month"),
                    format!(
                        "`from_month` must increase from period to period: {from} follows {prev}"
                    ),
                );
            }
            let fte = match per.fte {
                Some(v) if v.is_finite() && (0.0..=MAX_FTE).contains(&v) => v,
                Some(v) => {
                    c.err(
                        &with(&pp, "fte"),
                        format!("`fte` must be between 0 and {MAX_FTE}, got {v}"),
                    );
                    0.0
                }
                None => {
                    c.err(
                        &pp,
                        "missing `fte`: the FTE staffed from `from_month` on".to_string(),
                    );
                    0.0
                }
            };
            out.push((from, fte));
        }
        let peak = out.iter().map(|p| p.1).fold(0.0, f64::max);
        let shares = out
            .iter()
            .map(|&(m, f)| (m, if peak > 0.0 { f / peak } else { 0.0 }))
            .collect();
        let spec = ParamSpec(super::super::param::RawParam::fixed(peak));
        let fte = c.param(&sp, &spec, ParamKind::Rate, sv.source.as_ref());
        return Some((fte, Staffing::Schedule(shares)));
    }
    let Some(spec) = &sv.fte else {
        let why = if sv.staff_to_demand.is_some() {
            "`fte`: the most FTE that may be staffed to demand"
        } else {
            "`fte` (full-time staff), an `fte_schedule` or `staff_to_demand`"
        };
        c.err(path, format!("service `{id}` needs {why}"));
        return None;
    };
    let fte = c.param(
        &with(path, "fte"),
        spec,
        ParamKind::Rate,
        sv.source.as_ref(),
    );
    let Some(d) = &sv.staff_to_demand else {
        return Some((fte, Staffing::Fixed));
    };
    let dp = with(path, "staff_to_demand");
    if sv.kind.is_none() {
        c.err(
            &dp,
            format!("service `{id}`: `staff_to_demand` needs a `kind` (caseload, monthly or shared): without capacity there is no demand to follow"),
        );
        return None;
    }
    let target = match (&d.target_caseload, &sv.capacity_per_fte) {
        (Some(t), _) => c.param(
            &with(&dp, "target_caseload"),
            t,
            ParamKind::Rate,
            sv.source.as_ref(),
        ),
        (None, Some(cap)) => c.param(
            &with(&dp, "target_caseload"),
            cap,
            ParamKind::Rate,
            sv.source.as_ref(),
        ),
        (None, None) => {
            c.err(
                &dp,
                "missing `target_caseload`: citizens per FTE the staffing aims at".to_string(),
            );
            return None;
        }
    };
    if c.params[target].param.support().0 <= 0.0 {
        c.err(
            &with(&dp, "target_caseload"),
            "`target_caseload` must be above 0 (citizens per FTE)".to_string(),
        );
    }
    let num = |c: &mut Checker,
               key: &str,
               v: Option<f64>,
               default: f64,
               min_ok: f64,
               what: &str|
     -> f64 {
        match v {
            None => default,
            Some(x) if x.is_finite() && x >= min_ok && x <= MAX_FTE => x,
            Some(x) => {
                c.err(
                    &with(&dp, key),
                    format!("`{key}` must be between {min_ok} and {MAX_FTE} ({what}), got {x}"),
                );
                default
            }
        }
    };
    let min_fte = num(
        c,
        "min_fte",
        d.min_fte,
        0.0,
        0.0,
        "the fewest FTE while open",
    );
    let step = num(
        c,
        "step",
        d.step,
        0.5,
        1e-3,
        "FTE are staffed in steps of this size",
    );
    let lag_months = c.int(
        &with(&dp, "lag_months"),
        d.lag_months,
        Some(0),
        0,
        horizon_months as i64,
        "months recruitment takes",
    ) as u32;
    if min_fte > c.params[fte].param.support().0 {
        c.err(
            &with(&dp, "min_fte"),
            format!("`min_fte` ({min_fte}) is above `fte`, the most that may be staffed"),
        );
    }
    Some((
        fte,
        Staffing::Demand(Demand {
            target,
            min_fte,
            lag_months,
            step,
        }),
    ))
}

/// The most FTE of one service.
const MAX_FTE: f64 = 100_000.0;

pub(super) fn check_costs(
    c: &mut Checker,
    arm_path: &[Seg],
    raw: Option<&IndexMap<String, RawCost>>,
    horizon_months: u32,
    services: &[Service],
) -> Vec<ProgramCost> {
    let mut out = Vec::new();
    for (id, co) in raw.into_iter().flatten() {
        let path = with(&with(arm_path, "costs"), id);
        check_id(c, &path, id);
        let amount = match &co.amount {
            Some(spec) => c.param(
                &with(&path, "amount"),
                spec,
                ParamKind::Amount,
                co.source.as_ref(),
            ),
            None => {
                c.err(&path, format!("cost `{id}` needs `amount` (DKK)"));
                continue;
            }
        };
        let per = match c.choice(
            &with(&path, "per"),
            co.per.as_ref(),
            &["month", "year", "total", "once", "case"],
            "total",
        ) {
            "month" => CostPer::Month,
            "year" => CostPer::Year,
            "once" => CostPer::Once,
            "case" => match case_service(c, &path, co.service.as_deref(), services) {
                Some(k) => CostPer::Case(k),
                None => continue,
            },
            _ => CostPer::Total,
        };
        if co.service.is_some() && !matches!(per, CostPer::Case(_)) {
            c.err(
                &with(&path, "service"),
                "`service` belongs to a cost paid per case: write `per = \"case\"` or leave `service` out",
            );
        }
        let payer = payer_of(c, &path, co.payer.as_ref(), &format!("cost `{id}`"));
        let (from_month, to_month) =
            check_window(c, &path, co.from_month, co.to_month, horizon_months);
        out.push(ProgramCost {
            id: id.clone(),
            label_da: co.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: co.label_en.clone().unwrap_or_else(|| id.clone()),
            amount,
            per,
            payer,
            from_month,
            to_month,
        });
    }
    out
}

pub(super) fn check_arms(
    c: &mut Checker,
    raw: Option<&IndexMap<String, RawArm>>,
    chains: &[Chain],
    accounts: &[Account],
    attributes: &[Attribute],
    horizon: u32,
    horizon_months: u32,
) -> Vec<Arm> {
    let mut out = Vec::new();
    let Some(map) = raw.filter(|m| !m.is_empty()) else {
        c.err(&p(&["arms"]), "missing [arms]: define at least [arms.control] and one more arm, e.g. [arms.treatment]");
        return out;
    };
    if !map.contains_key("control") {
        c.err(
            &p(&["arms"]),
            format!(
                "there must be an arm called `control` (the reference); found {}",
                known(map.keys().cloned())
            ),
        );
    }
    if map.len() < 2 {
        c.err(
            &p(&["arms"]),
            "define at least two arms: `control` and one to compare with it",
        );
    }
    // control first, then the others in file order.
    let mut order: Vec<&String> = map.keys().filter(|k| *k == "control").collect();
    order.extend(map.keys().filter(|k| *k != "control"));
    for id in order {
        let a = &map[id];
        let path = p(&["arms", id]);
        check_id(c, &path, id);
        let share_spec = a.offer_share.clone().unwrap_or_else(|| {
            ParamSpec(param::RawParam::fixed(if id == "control" {
                0.0
            } else {
                1.0
            }))
        });
        let offer_share = c.param(
            &with(&path, "offer_share"),
            &share_spec,
            ParamKind::Share,
            a.source.as_ref(),
        );
        // Entry cycles count from 0, so the last one of the horizon is horizon − 1.
        let last_cycle = horizon.max(1) as i64 - 1;
        let offer_from = c.int(
            &with(&path, "offer_from"),
            a.offer_from,
            Some(0),
            0,
            last_cycle,
            "first entry cycle, counted from 0, whose starters may be offered the programme",
        ) as u32;
        let offer_to = c.int(
            &with(&path, "offer_to"),
            a.offer_to,
            Some(last_cycle),
            0,
            last_cycle,
            "last entry cycle, counted from 0, whose starters may be offered the programme",
        ) as u32;
        if offer_to < offer_from {
            c.err(
                &with(&path, "offer_to"),
                format!("`offer_to` ({offer_to}) is before `offer_from` ({offer_from})"),
            );
        }
        let effects = check_effects(
            c,
            &path,
            [&a.effects, &a.housing_effects],
            chains,
            a.source.as_ref(),
        );
        let mut account_overrides = Vec::new();
        if let Some(ov) = &a.accounts {
            for (acc_id, o) in ov {
                let apath = with(&with(&path, "accounts"), acc_id);
                let Some(ai) = accounts.iter().position(|x| &x.id == acc_id) else {
                    c.err(
                        &apath,
                        format!(
                            "unknown account `{acc_id}`; known: {}",
                            known(accounts.iter().map(|x| x.id.clone()))
                        ),
                    );
                    continue;
                };
                match &o.amount {
                    Some(spec) => {
                        let pid = c.param(
                            &with(&apath, "amount"),
                            spec,
                            ParamKind::Amount,
                            a.source.as_ref(),
                        );
                        account_overrides.push((ai, pid));
                    }
                    None => c.err(&apath, "an account override needs `amount`"),
                }
            }
        }
        let services = check_services(
            c,
            &path,
            a.services.as_ref(),
            horizon_months,
            chains,
            attributes,
        );
        // Each service is one bit of a citizen's service mask in the engine.
        if services.len() > 32 {
            c.err(&with(&path, "services"), "at most 32 services per arm");
        }
        let costs = check_costs(c, &path, a.costs.as_ref(), horizon_months, &services);
        out.push(Arm {
            id: id.clone(),
            label_da: a.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: a.label_en.clone().unwrap_or_else(|| id.clone()),
            offer_share,
            offer_from,
            offer_to,
            effects,
            account_overrides,
            services,
            costs,
        });
    }
    out
}

/// The capacity side of a service: kind, capacity per FTE, eligibility and effects.
pub(super) fn check_capacity(
    c: &mut Checker,
    path: &[Seg],
    sv: &RawService,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Option<Capacity> {
    let capacity_keys = sv.capacity_per_fte.is_some()
        || sv.eligible_states.is_some()
        || sv.effects.is_some()
        || sv.housing_effects.is_some()
        || sv.move_to.is_some()
        || sv.change.is_some();
    let Some(kind_text) = sv.kind.as_ref() else {
        if capacity_keys {
            c.err(path, "this service has capacity settings but no `kind`; allowed: `caseload`, `monthly`, `shared`");
        }
        return None;
    };
    let kind = match c.choice(
        &with(path, "kind"),
        Some(kind_text),
        &["caseload", "monthly", "shared"],
        "caseload",
    ) {
        "monthly" => ServiceKind::Monthly,
        "shared" => ServiceKind::Shared,
        _ => ServiceKind::Caseload,
    };
    let per_fte = match &sv.capacity_per_fte {
        Some(spec) => c.param(
            &with(path, "capacity_per_fte"),
            spec,
            ParamKind::Rate,
            sv.source.as_ref(),
        ),
        None => {
            c.err(path, "a service with a `kind` needs `capacity_per_fte` (caseload per FTE, or services per FTE per month)");
            return None;
        }
    };
    let course = &chains[COURSE];
    let mut eligible_states = vec![false; course.states.len()];
    match &sv.eligible_states {
        None => {
            for (i, st) in course.states.iter().enumerate() {
                eligible_states[i] = st.in_course;
            }
        }
        Some(list) => {
            for (k, id) in list.iter().enumerate() {
                match course.index(id) {
                    Some(i) => eligible_states[i] = true,
                    None => c.err(
                        &with(&with(path, "eligible_states"), k),
                        format!(
                            "unknown course state `{id}`; known: {}",
                            known(course.states.iter().map(|s| s.id.clone()))
                        ),
                    ),
                }
            }
        }
    }
    let when = sv
        .when
        .as_ref()
        .and_then(|w| check_when(c, &with(path, "when"), w, attributes));
    let min_course_months = c.int(
        &with(path, "min_course_months"),
        sv.min_course_months,
        Some(0),
        0,
        1200,
        "months in the course before a citizen is eligible",
    ) as u32;
    let effects = check_effects(
        c,
        path,
        [&sv.effects, &sv.housing_effects],
        chains,
        sv.source.as_ref(),
    );
    let monthly_only = |c: &mut Checker, key: &str, given: bool| {
        if given && kind != ServiceKind::Monthly {
            c.err(&with(path, key), format!("`{key}` applies to `kind = \"monthly\"` services (something done once when served)"));
        }
    };
    monthly_only(c, "move_to", sv.move_to.is_some());
    monthly_only(c, "change", sv.change.is_some());
    monthly_only(c, "once", sv.once.is_some());
    let move_to = sv.move_to.as_ref().and_then(|id| {
        let i = course.index(id);
        if i.is_none() {
            c.err(
                &with(path, "move_to"),
                format!(
                    "unknown course state `{id}`; known: {}",
                    known(course.states.iter().map(|s| s.id.clone()))
                ),
            );
        }
        i
    });
    let attribute_change = sv.change.as_ref().and_then(|ch| {
        let cp = with(path, "change");
        let (Some(attr), Some(add)) = (&ch.attribute, ch.add) else {
            c.err(&cp, "`change` needs `attribute` and `add`, e.g. { attribute = \"health_burden\", add = -1 }");
            return None;
        };
        if !add.is_finite() {
            c.err(&with(&cp, "add"), "`add` must be a finite number");
        }
        let Some(ai) = attributes.iter().position(|x| &x.id == attr) else {
            c.err(&with(&cp, "attribute"), format!("unknown attribute `{attr}`; known: {}", known(attributes.iter().map(|a| a.id.clone()))));
            return None;
        };
        Some((ai, add))
    });
    Some(Capacity {
        kind,
        per_fte,
        eligible_states,
        participants_only: sv.participants_only.unwrap_or(true),
        when,
        min_course_months,
        effects,
        move_to,
        attribute_change,
        once: sv.once.unwrap_or(true),
    })
}

/// Raw effect tables: `[FROM] TO = hr`, by course and housing chain.
pub(super) type RawEffects = Option<IndexMap<String, IndexMap<String, ParamSpec>>>;

/// Hazard-ratio effects under `path.effects` (course) and `path.housing_effects` (housing):
/// (chain, edge, hr) for transitions that exist.
pub(super) fn check_effects(
    c: &mut Checker,
    path: &[Seg],
    raw: [&RawEffects; 2],
    chains: &[Chain],
    source: Option<&String>,
) -> Vec<(usize, usize, ParamId)> {
    let mut effects = Vec::new();
    for ((ci, key), map) in [(COURSE, "effects"), (HOUSING, "housing_effects")]
        .into_iter()
        .zip(raw)
    {
        let chain = &chains[ci];
        let ids = || known(chain.states.iter().map(|s| s.id.clone()));
        for (from_id, tos) in map.iter().flatten() {
            let fpath = with(&with(path, key), from_id);
            let Some(from) = chain.index(from_id) else {
                c.err(
                    &fpath,
                    format!("unknown {} state `{from_id}`; known: {}", chain.name, ids()),
                );
                continue;
            };
            for (to_id, spec) in tos {
                let tpath = with(&fpath, to_id);
                let Some(to) = chain.index(to_id) else {
                    c.err(
                        &tpath,
                        format!("unknown {} state `{to_id}`; known: {}", chain.name, ids()),
                    );
                    continue;
                };
                let Some(edge) = chain.edge(from, to) else {
                    c.err(&tpath, format!("an effect on `{from_id}` → `{to_id}`, but the scenario has no such transition; add it under [transitions] first"));
                    continue;
                };
                let hr = c.param(&tpath, spec, ParamKind::HazardRatio, source);
                effects.push((ci, edge, hr));
            }
        }
    }
    effects
}

/// The service a cost paid per case names: one of the arm's services with capacity (caseload or
/// monthly), whose new cases the engine counts.
fn case_service(
    c: &mut Checker,
    path: &[Seg],
    service: Option<&str>,
    services: &[Service],
) -> Option<usize> {
    let counted: Vec<&str> = services
        .iter()
        .filter(|s| {
            s.capacity
                .as_ref()
                .is_some_and(|cap| cap.kind != ServiceKind::Shared)
        })
        .map(|s| s.id.as_str())
        .collect();
    let Some(id) = service else {
        c.err(
            path,
            format!(
                "a cost with `per = \"case\"` needs `service = \"…\"`: the service whose new cases it pays for (one of: {})",
                if counted.is_empty() { "none in this arm".to_string() } else { counted.join(", ") }
            ),
        );
        return None;
    };
    match services.iter().position(|s| s.id == id) {
        Some(k) if counted.contains(&id) => Some(k),
        _ => {
            c.err(
                &with(path, "service"),
                format!(
                    "`service = \"{id}\"` is not a service of this arm whose cases are counted (a caseload or monthly service with capacity); allowed: {}",
                    if counted.is_empty() { "none in this arm".to_string() } else { counted.join(", ") }
                ),
            );
            None
        }
    }
}
