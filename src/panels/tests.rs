//! Tests of the registry: the names match it, every key is a field, and the reading notes
//! name real keys, readouts and steps.

use super::*;

#[test]
fn names_match_the_registry_and_keys_are_fields() {
    let names: Vec<_> = all().iter().map(|p| p.spec().name).collect();
    assert_eq!(names, NAMES);
    for p in all() {
        for k in p.spec().keys {
            assert!(
                crate::params::field(k).is_some(),
                "{}: no field {k}",
                p.spec().name
            );
        }
    }
}

#[test]
fn reading_names_real_keys_readouts_and_steps() {
    for p in all() {
        let s = p.spec();
        let r = reading(s);
        let primary = r["primary"].as_str().expect("a primary key");
        assert!(s.keys.contains(&primary), "{}: primary {primary}", s.name);
        let fig = plan(&query::defaults(s.name)).expect("a figure");
        let has = |k: &str| fig.readouts.iter().any(|x| x.key == k);
        let headline = r["headline"].as_str().expect("a headline readout");
        assert!(has(headline), "{}: headline {headline}", s.name);
        let steps = r["steps"].as_array().expect("steps");
        assert!((1..=3).contains(&steps.len()), "{}: 1 to 3 steps", s.name);
        // Readouts at the defaults or after a step (some exist only in some settings).
        let mut keys: Vec<String> = fig.readouts.iter().map(|x| x.key.clone()).collect();
        for step in steps {
            let q = step["query"].as_str().expect("a step's query");
            assert!(step["label"].is_string() && step["notice"].is_string());
            let mut params = query::defaults(s.name);
            let errors = query::apply(&mut params, q, query::Audience::Page);
            assert!(errors.is_empty(), "{}: step {q}: {errors:?}", s.name);
            let fig = plan(&params).expect("a figure");
            keys.extend(fig.readouts.iter().map(|x| x.key.clone()));
        }
        for k in r["labels"].as_object().expect("labels").keys() {
            assert!(keys.contains(k), "{}: label for no readout {k}", s.name);
        }
    }
}
