//! Criterion benchmarks of the core: the exact 2-D stationary covariance with momentum (one
//! solve of the discrete Lyapunov equation, done on every slider event), the 2-D SGD walker
//! update (walker-steps per second on one core, and on every core with 10⁵ walkers in chunks),
//! and the 1-D update with Gaussian, Student-t (ν = 4) and χ² (3 dof) noise (Fig. 8's).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nqm_explorer::panels::query::{parse as parse_query, Audience};
use nqm_explorer::sim::{Dynamics, Ensemble};
use nqm_explorer::theory::{predict, stationary};
use std::hint::black_box;

fn theory(c: &mut Criterion) {
    let solve = |q: &str| {
        let (p, _) = parse_query(q, Audience::Cli);
        (p.model(), p.optimizer())
    };
    // One exact 2-D Σ with momentum: a discrete Lyapunov solve of the 4-state map.
    let (model, opt) = solve("lr=1.5&mu=0.5&noise=general&h_angle=20");
    c.bench_function("stationary_2d_momentum", |b| {
        b.iter(|| stationary(black_box(&model), black_box(&opt)))
    });
    // Everything the page shows per slider event: Σ, continuous Σ, radius, losses.
    c.bench_function("predict_2d_momentum", |b| {
        b.iter(|| predict(black_box(&model), black_box(&opt)))
    });
    // A Σ-dependent map: natural gradient's Newton fixed point.
    let (model, opt) = solve("opt=ngd&noise=fisher&cf=0.1&lr=0.5&mu=0.5&h_angle=20");
    c.bench_function("stationary_2d_ngd_fixed_point", |b| {
        b.iter(|| stationary(black_box(&model), black_box(&opt)))
    });
}

fn simulate(c: &mut Criterion) {
    let (p, _) = parse_query("lr=0.5&noise=white", Audience::Cli);
    let model = p.model();
    let dy = Dynamics::heavy_ball(&model, p.lr, p.mu);
    const WALKERS: usize = 10_000;
    const STEPS: u64 = 10;
    let mut g = c.benchmark_group("sgd_2d_gaussian");
    g.throughput(Throughput::Elements(WALKERS as u64 * STEPS));
    g.bench_function("walker_steps", |b| {
        let mut e = Ensemble::new(2, WALKERS, 1);
        b.iter(|| e.advance(&dy, STEPS))
    });
    g.finish();
    // 10⁵ walkers: seven chunks of 16 384 (the last one partial), each with its own stream, on
    // every core; the same walkers as on one core and in WebAssembly.
    const MANY: usize = 100_000;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("sgd_2d_gaussian_all_cores");
    g.throughput(Throughput::Elements(MANY as u64 * STEPS));
    g.bench_function("walker_steps", |b| {
        let mut e = Ensemble::new(2, MANY, 1);
        e.set_threads(threads);
        b.iter(|| e.advance(&dy, STEPS))
    });
    g.finish();
    // Fig. 8's noise in 1-D: the lane samplers of Student-t and χ² against the normal.
    let mut g = c.benchmark_group("sgd_1d_noise");
    g.throughput(Throughput::Elements(WALKERS as u64 * STEPS));
    for (name, dist) in [
        ("gauss", ""),
        ("student4", "&dist=student"),
        ("chi2_3", "&dist=chi2"),
    ] {
        let (p, _) = parse_query(&format!("dim=1&lr=0.5&noise=white{dist}"), Audience::Cli);
        let model = p.model();
        let dy = p.dynamics(&model).unwrap();
        g.bench_function(name, |b| {
            let mut e = Ensemble::new(1, WALKERS, 1);
            b.iter(|| e.advance(&dy, STEPS))
        });
    }
    g.finish();
}

fn normals(c: &mut Criterion) {
    let mut rng = nqm_explorer::rng::LaneRng::new(1);
    let mut g = c.benchmark_group("ziggurat");
    g.throughput(Throughput::Elements(
        2 * nqm_explorer::rng::math::LANES as u64 * 1000,
    ));
    g.bench_function("normals", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for _ in 0..1000 {
                let (x, y) = rng.normals();
                // Every lane, so that no lane's computation can be optimised away.
                acc += x.iter().sum::<f64>() + y.iter().sum::<f64>();
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, theory, simulate, normals);
criterion_main!(benches);
