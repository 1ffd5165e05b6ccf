//! One sentence for the report: what the business case counts after the house closes.

use super::format::Lang;
use crate::scenario::Scenario;

/// The last month (0-based) in which any arm but control has a service or a programme cost;
/// None when no arm has any.
pub fn last_programme_month(sc: &Scenario) -> Option<u32> {
    sc.arms
        .iter()
        .skip(1)
        .flat_map(|a| {
            let sv = a.services.iter().map(|s| s.to_month);
            sv.chain(a.costs.iter().map(|c| c.to_month))
        })
        .max()
}

/// What is counted after the house closes, in one sentence (None without programme months).
pub fn sentence(sc: &Scenario, lang: Lang) -> Option<String> {
    let da = lang == Lang::Da;
    let close = last_programme_month(sc)?;
    let horizon = sc.sim.horizon_months();
    if close + 1 >= horizon {
        return Some(if da {
            "Huset kører til horisonten, så intet tælles efter at det lukker.".into()
        } else {
            "The house runs to the horizon, so nothing is counted after it closes.".into()
        });
    }
    let year = sc.sim.calendar_year(close);
    let month = (sc.sim.start_month - 1 + close) % 12 + 1;
    let after = horizon - close - 1;
    let windowed: Vec<&str> = sc
        .accounts
        .iter()
        .filter(|a| a.window.is_some_and(|(_, to)| to <= close))
        .map(|a| a.id.as_str())
        .collect();
    let life = &sc.life;
    let ends = life.mortality.is_some() || life.at_age.iter().any(Option::is_some);
    let mut s = if da {
        format!(
            "Huset lukker efter måned {} ({year}-{month:02}); de sidste {after} måneder til \
             horisonten tæller kun borgernes følger (ydelser, sagsbehandling, bostøtte m.m.), \
             ingen udgifter til huset",
            close + 1
        )
    } else {
        format!(
            "The house closes after month {} ({year}-{month:02}); the remaining {after} months \
             to the horizon count only the citizens' consequences (benefits, case handling, \
             housing support and so on), no programme costs",
            close + 1
        )
    };
    if !windowed.is_empty() {
        s += &if da {
            format!(
                " og ikke kontiene {}, der kun tæller mens huset kører",
                windowed.join(", ")
            )
        } else {
            format!(
                " and not the accounts {}, which count only while the house runs",
                windowed.join(", ")
            )
        };
    }
    s += match (ends, da) {
        (true, true) => "; dødsfald og overgang til folkepension afslutter borgernes ydelser.",
        (true, false) => "; deaths and moves at an age (folkepension) end the citizens' benefits.",
        (false, true) => {
            "; ingen dør eller når folkepensionsalderen i modellen, så en lang horisont overvurderer besparelserne."
        }
        (false, false) => {
            "; nobody dies or reaches folkepension age in this model, so a long horizon overstates the savings."
        }
    };
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_scenario_says_what_is_counted_after_the_house_closes() {
        let sc = crate::scenario::load_default().unwrap();
        assert_eq!(last_programme_month(&sc), Some(41));
        let en = sentence(&sc, Lang::En).unwrap();
        assert!(en.contains("after month 42 (2019-12)"), "{en}");
        assert!(en.contains("remaining 258 months"), "{en}");
        assert!(en.contains("deaths and moves at an age"), "{en}");
        let da = sentence(&sc, Lang::Da).unwrap();
        assert!(da.contains("måned 42"), "{da}");
    }
}
