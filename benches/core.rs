//! Criterion benchmarks of the core: the exact 2-D stationary covariance with momentum (one
//! solve of the discrete Lyapunov equation, done on every slider event), and the 2-D SGD walker
//! update (walker-steps per second on one core).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nqm_explorer::model::Model;
use nqm_explorer::params::{parse_query, Audience};
use nqm_explorer::sim::{Dynamics, Ensemble};
use nqm_explorer::theory::predict;
use std::hint::black_box;

fn theory(c: &mut Criterion) {
    let (p, _) = parse_query("lr=1.5&mu=0.5&noise=general&h_angle=20", Audience::Cli);
    let model = Model::from_params(&p);
    c.bench_function("predict_2d_momentum", |b| {
        b.iter(|| predict(black_box(&model), black_box(p.lr), black_box(p.mu)))
    });
}

fn simulate(c: &mut Criterion) {
    let (p, _) = parse_query("lr=0.5&noise=white", Audience::Cli);
    let model = Model::from_params(&p);
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
}

criterion_group!(benches, theory, simulate);
criterion_main!(benches);
