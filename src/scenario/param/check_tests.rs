//! Tests of checking parameters: keys, conversions, truncation and the limits every
//! distribution must keep.

use super::super::ParamSpec;
use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

fn p(s: &str) -> Param {
    #[derive(Deserialize)]
    struct W {
        x: ParamSpec,
    }
    let w: W = toml::from_str(&format!("x = {s}")).unwrap();
    check(&w.x.0).unwrap()
}

fn moments(param: &Param, n: usize) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let xs: Vec<f64> = (0..n).map(|_| param.sample(&mut rng)).collect();
    let m = xs.iter().sum::<f64>() / n as f64;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    (m, v.sqrt())
}

#[test]
fn a_95_percent_interval_becomes_the_distribution() {
    let n = p("{ dist = \"normal\", ci = [8, 12] }");
    assert_eq!(
        n.dist,
        Dist::Normal {
            mean: 10.0,
            sd: 4.0 / (2.0 * Z975)
        }
    );
    let g = p("{ dist = \"gamma\", mean = 100, ci = [80, 120] }");
    assert!((g.central() - 100.0).abs() < 1e-9);
    for bad in [
        "{ dist = \"normal\", ci = [12, 8] }",
        "{ dist = \"normal\", ci = [1, 2, 3] }",
        "{ dist = \"normal\", ci = [8, 12], sd = 1 }",
        "{ dist = \"gamma\", ci = [8, 12] }",
        "{ dist = \"lognormal\", ci = [-1, 12] }",
        "{ dist = \"uniform\", ci = [8, 12] }",
    ] {
        #[derive(Deserialize)]
        struct W {
            x: ParamSpec,
        }
        let w: W = toml::from_str(&format!("x = {bad}")).unwrap();
        let e = check(&w.x.0).unwrap_err();
        assert!(e.contains("`ci`"), "{bad}: {e}");
    }
}

#[test]
fn number_and_table_forms() {
    assert_eq!(p("0.5").dist, Dist::Fixed(0.5));
    assert_eq!(p("3").dist, Dist::Fixed(3.0));
    let q = p("{ value = 2, source = \"DST 2016\" }");
    assert_eq!(q.dist, Dist::Fixed(2.0));
    assert_eq!(q.source.as_deref(), Some("DST 2016"));
}

#[test]
fn method_of_moments_reproduces_mean_and_sd() {
    // Tolerances: 5 standard errors of the sample mean and a 5 % band on the sd
    // (n = 200,000 gives a relative standard error of the sd well below 1 %).
    for (spec, mean, sd) in [
        ("{ dist = \"beta\", mean = 0.2, sd = 0.05 }", 0.2, 0.05),
        ("{ dist = \"gamma\", mean = 1000, sd = 250 }", 1000.0, 250.0),
        ("{ dist = \"lognormal\", mean = 0.8, sd = 0.1 }", 0.8, 0.1),
        ("{ dist = \"normal\", mean = -3, sd = 2 }", -3.0, 2.0),
    ] {
        let param = p(spec);
        assert!(
            (param.central() - mean).abs() < 1e-9 * mean.abs().max(1.0),
            "{spec}"
        );
        let n = 200_000;
        let (m, s) = moments(&param, n);
        assert!(
            (m - mean).abs() < 5.0 * sd / (n as f64).sqrt(),
            "{spec}: mean {m}"
        );
        assert!((s - sd).abs() < 0.05 * sd, "{spec}: sd {s}");
    }
}

#[test]
fn uniform_and_triangular_moments() {
    let n = 200_000;
    let u = p("{ dist = \"uniform\", min = 2, max = 4 }");
    let (m, s) = moments(&u, n);
    let sd = 2.0 / 12f64.sqrt();
    assert!((m - 3.0).abs() < 5.0 * sd / (n as f64).sqrt());
    assert!((s - sd).abs() < 0.05 * sd);
    let t = p("{ dist = \"triangular\", min = 0, mode = 1, max = 4 }");
    let (m, _) = moments(&t, n);
    let var: f64 = (0.0 + 1.0 + 16.0 - 0.0 - 0.0 - 4.0) / 18.0;
    assert!(
        (m - 5.0 / 3.0).abs() < 5.0 * var.sqrt() / (n as f64).sqrt(),
        "{m}"
    );
}

#[test]
fn truncation_clamps_draws() {
    let q = p("{ dist = \"normal\", mean = 0, sd = 10, min = -1, max = 1 }");
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..1000 {
        let v = q.sample(&mut rng);
        assert!((-1.0..=1.0).contains(&v));
    }
    assert_eq!(q.support(), (-1.0, 1.0));
}

#[test]
fn bad_parameters_are_refused_with_reasons() {
    let bad = |raw: RawParam| check(&raw).unwrap_err();
    assert!(bad(RawParam::default()).contains("needs `value` or `dist`"));
    let e = bad(RawParam {
        dist: Some("weibul".into()),
        ..Default::default()
    });
    assert!(
        e.contains("unknown distribution `weibul`") && e.contains("beta"),
        "{e}"
    );
    let e = bad(RawParam {
        dist: Some("beta".into()),
        mean: Some(0.5),
        sd: Some(0.6),
        ..Default::default()
    });
    assert!(e.contains("sd below"), "{e}");
    let e = bad(RawParam {
        dist: Some("uniform".into()),
        min: Some(3.0),
        max: Some(1.0),
        ..Default::default()
    });
    assert!(e.contains("min below max"), "{e}");
}

#[test]
fn unknown_key_in_parameter_table_is_located() {
    #[derive(Deserialize, Debug)]
    struct W {
        #[allow(dead_code)]
        x: ParamSpec,
    }
    let e = toml::from_str::<W>("x = { dist = \"beta\", mean = 0.1, sdd = 0.1 }").unwrap_err();
    assert!(e.to_string().contains("sdd"), "{e}");
    assert!(e.span().is_some());
}

/// The error `check_located` gives for a parameter written as TOML.
fn refused(s: &str) -> ParamError {
    #[derive(Deserialize)]
    struct W {
        x: ParamSpec,
    }
    let w: W = toml::from_str(&format!("x = {s}")).unwrap();
    check_located(&w.x.0).unwrap_err()
}

#[test]
fn keys_a_distribution_does_not_use_are_refused() {
    for (spec, key, takes) in [
        (
            "{ dist = \"beta\", mean = 0.001, sd = 0.0002, value = 0.5 }",
            "value",
            "`alpha` and `beta`",
        ),
        (
            "{ dist = \"normal\", mean = 1, sd = 0.2, alpha = 2 }",
            "alpha",
            "`mean` and `sd`",
        ),
        (
            "{ dist = \"gamma\", mean = 1, sd = 0.2, meanlog = 0 }",
            "meanlog",
            "`shape` and `scale`",
        ),
        (
            "{ dist = \"lognormal\", mean = 1, sd = 0.2, p = 0.5 }",
            "p",
            "`meanlog` and `sdlog`",
        ),
        (
            "{ dist = \"uniform\", min = 0, max = 1, mean = 0.5 }",
            "mean",
            "`min` and `max`",
        ),
        (
            "{ dist = \"triangular\", min = 0, mode = 0.2, max = 1, sd = 0.1 }",
            "sd",
            "`min`, `mode` and `max`",
        ),
        ("{ dist = \"bernoulli\", mean = 0.3 }", "mean", "only `p`"),
        (
            "{ dist = \"bernoulli\", p = 0.3, max = 1 }",
            "max",
            "only `p`",
        ),
        (
            "{ dist = \"categorical\", values = [1, 2], weights = [1, 1], min = 1 }",
            "min",
            "`values` and `weights`",
        ),
        ("{ value = 0.5, sd = 0.1 }", "sd", "only `value`"),
        (
            "{ dist = \"fixed\", value = 0.5, max = 1 }",
            "max",
            "only `value`",
        ),
    ] {
        let e = refused(spec);
        assert_eq!(e.key, Some(key), "{spec}: {e}");
        assert!(
            e.message.contains(&format!("`{key}` is not a key")),
            "{spec}: {e}"
        );
        assert!(e.message.contains(takes), "{spec}: {e}");
    }
    // A fixed value written without `dist` is told how to become uncertain.
    assert!(
        refused("{ value = 0.5, sd = 0.1 }")
            .message
            .contains("dist = \"normal\"")
    );
}

#[test]
fn both_parameterisations_or_half_a_pair_are_refused() {
    let e = refused("{ dist = \"beta\", mean = 0.2, sd = 0.05, alpha = 2, beta = 8 }");
    assert_eq!(e.key, Some("alpha"));
    assert!(e.message.contains("not both"), "{e}");
    let e = refused("{ dist = \"gamma\", sd = 3, shape = 2, scale = 5 }");
    assert!(e.message.contains("not both"), "{e}");
    let e = refused("{ dist = \"beta\", alpha = 2 }");
    assert_eq!(e.key, Some("alpha"));
    assert!(e.message.contains("`alpha` needs `beta`"), "{e}");
    let e = refused("{ dist = \"lognormal\", sdlog = 0.3 }");
    assert!(e.message.contains("`sdlog` needs `meanlog`"), "{e}");
    let e = refused("{ dist = \"beta\", mean = 0.2 }");
    assert!(
        e.message.contains("needs `sd`") && e.message.contains("`alpha` and `beta`"),
        "{e}"
    );
    // Each parameterisation on its own, with `source` and `note`, is fine.
    for ok in [
        "{ dist = \"beta\", alpha = 2, beta = 8, min = 0.1, source = \"s\", note = \"n\" }",
        "{ dist = \"gamma\", shape = 2, scale = 5, max = 100 }",
        "{ dist = \"lognormal\", meanlog = 0, sdlog = 0.3 }",
        "{ dist = \"fixed\", value = 3, source = \"s\" }",
    ] {
        p(ok);
    }
}

#[test]
fn distributions_no_sampler_can_draw_from_are_refused_naming_key_and_limit() {
    for (spec, key, words) in [
        // The case: mean²/sd² overflows and `run` spun forever.
        (
            "{ dist = \"gamma\", mean = 1e200, sd = 50000 }",
            "mean",
            "10^15",
        ),
        (
            "{ dist = \"gamma\", mean = 1e10, sd = 1e-5 }",
            "sd",
            "10^10",
        ),
        (
            "{ dist = \"gamma\", shape = 1e-9, scale = 2 }",
            "shape",
            "10^-3",
        ),
        (
            "{ dist = \"gamma\", shape = 1e9, scale = 1e12 }",
            "scale",
            "10^15",
        ),
        ("{ dist = \"beta\", mean = 0.5, sd = 1e-9 }", "sd", "10^10"),
        (
            "{ dist = \"beta\", alpha = 1e11, beta = 2 }",
            "alpha",
            "10^10",
        ),
        (
            "{ dist = \"lognormal\", meanlog = 0, sdlog = 50 }",
            "sdlog",
            "10",
        ),
        (
            "{ dist = \"lognormal\", meanlog = 40, sdlog = 1 }",
            "meanlog",
            "10^15",
        ),
        (
            "{ dist = \"lognormal\", mean = 1e14, sd = 1e16 }",
            "sd",
            "10^15",
        ),
        ("{ dist = \"normal\", mean = 0, sd = 1e300 }", "sd", "10^15"),
        (
            "{ dist = \"uniform\", min = -1e308, max = 1e308 }",
            "min",
            "10^15",
        ),
        (
            "{ dist = \"triangular\", min = 0, mode = 1, max = 1e20 }",
            "max",
            "10^15",
        ),
        (
            "{ dist = \"categorical\", values = [1, 1e300], weights = [1, 1] }",
            "values",
            "10^15",
        ),
        (
            "{ dist = \"categorical\", values = [1, 2], weights = [1, 1e300] }",
            "weights",
            "10^15",
        ),
        ("{ dist = \"normal\", ci = [0, 1e200] }", "ci", "10^15"),
        ("{ value = 1e308 }", "value", "10^15"),
        ("{ dist = \"bernoulli\", p = 2 }", "p", "between 0 and 1"),
    ] {
        let e = refused(spec);
        assert_eq!(e.key, Some(key), "{spec}: {e}");
        assert!(e.message.contains(words), "{spec}: {e}");
    }
    let many = format!(
        "{{ dist = \"categorical\", values = [{}], weights = [{}] }}",
        vec!["1"; 10_001].join(","),
        vec!["1"; 10_001].join(",")
    );
    assert_eq!(refused(&many).key, Some("values"));
}

#[test]
fn every_family_at_its_limits_draws_finite_values_quickly() {
    let started = std::time::Instant::now();
    for spec in [
        "{ dist = \"gamma\", shape = 0.001, scale = 1e12 }",
        "{ dist = \"gamma\", shape = 1e10, scale = 1e-5 }",
        "{ dist = \"beta\", alpha = 0.001, beta = 0.001 }",
        "{ dist = \"beta\", alpha = 1e10, beta = 1e10 }",
        "{ dist = \"beta\", alpha = 0.001, beta = 1e10 }",
        "{ dist = \"lognormal\", meanlog = -30, sdlog = 10 }",
        "{ dist = \"normal\", mean = 1e15, sd = 1e15 }",
        "{ dist = \"uniform\", min = -1e15, max = 1e15 }",
        "{ dist = \"triangular\", min = -1e15, mode = 1e15, max = 1e15 }",
        "{ dist = \"bernoulli\", p = 1 }",
    ] {
        let q = p(spec);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..2000 {
            let v = q.sample(&mut rng);
            assert!(v.is_finite(), "{spec}: {v}");
        }
        assert!(q.central().is_finite(), "{spec}");
    }
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

#[test]
fn non_finite_numbers_and_empty_truncations_are_refused() {
    let e = refused("{ dist = \"lognormal\", meanlog = inf, sdlog = 0.3 }");
    assert_eq!(e.key, Some("meanlog"));
    assert!(e.message.contains("finite"), "{e}");
    let e = refused("{ dist = \"triangular\", min = 0, mode = nan, max = 1 }");
    assert_eq!(e.key, Some("mode"));
    let e = refused("{ dist = \"beta\", mean = 0.2, sd = 0.05, min = 1 }");
    assert_eq!(e.key, Some("min"));
    assert!(e.message.contains("every draw would be 1"), "{e}");
    let e = refused("{ dist = \"gamma\", mean = 5, sd = 1, max = -1 }");
    assert_eq!(e.key, Some("max"));
    let e = refused("{ dist = \"normal\", mean = 5, sd = 1, min = 2, max = 2 }");
    assert!(e.message.contains("both 2"), "{e}");
}
