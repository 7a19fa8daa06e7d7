//! The walker kernels, on one chunk of an ensemble at a time.
//!
//! An ensemble's walkers are split into chunks of [`CHUNK`] walkers, each with its own random
//! numbers ([`Stream`]): chunk 0 draws from the ensemble's seed, chunk c ≥ 1 from
//! [`chunk_seed`]. Chunks are independent, so natively they may run on several threads and in
//! WebAssembly one after the other, and the walkers are the same bit for bit either way. An
//! ensemble of at most [`CHUNK`] walkers is one chunk, drawn exactly as before chunks existed
//! (schema version 2); larger ones draw other numbers since version 3.
//!
//! Within a chunk the walkers are advanced [`LANES`] at a time by loops over lane arrays that
//! LLVM vectorises; the noise of every additive distribution (Gaussian, Student-t, χ²) is
//! drawn for all lanes together ([`LaneRng`]); state-dependent noise and minibatches take the
//! scalar path ([`Chunk::general`]).

use super::{Dynamics, NoiseSource, Rule, Shape, ESCAPE_RADIUS};
use crate::rng::math::{F, LANES};
use crate::rng::{LaneRng, Scalar};

/// Walkers per chunk (a multiple of [`LANES`]).
pub const CHUNK: usize = 16_384;

/// The seed of chunk `c` ≥ 1 of an ensemble seeded with `seed`: SplitMix64's finaliser of
/// both, with other constants than the panels' job seeds, so that the streams do not meet.
pub fn chunk_seed(seed: u64, c: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0xD6E8_FEB8_6659_FD93)
        .wrapping_add((c as u64).wrapping_mul(0xA076_1D64_78BD_642F));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random numbers of one chunk and the scratch of its scalar path.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: LaneRng,
    scalar: Scalar,
    perm: Vec<u32>,
}

impl Stream {
    /// The stream of chunk `c` of an ensemble seeded with `seed`.
    pub fn new(seed: u64, c: usize) -> Stream {
        let seed = if c == 0 { seed } else { chunk_seed(seed, c) };
        Stream {
            rng: LaneRng::new(seed),
            scalar: Scalar::default(),
            perm: Vec::new(),
        }
    }
}

/// One chunk of an ensemble: its slices of the walkers' arrays (lengths a multiple of
/// [`LANES`]; padding walkers are dead) and its stream.
pub struct Chunk<'a> {
    pub dim: usize,
    pub w: [&'a mut [f64]; 2],
    pub m: [&'a mut [f64]; 2],
    pub alive: &'a mut [f64],
    pub stream: &'a mut Stream,
}

/// The sums over a chunk's walkers that were live when a step began: [½wᵀKw, O_L, v², |Kw|²,
/// live walkers].
pub type Sums = [f64; 5];

/// The constants of the 2-D kernel.
struct Coefs2 {
    k: [f64; 4],
    l: [f64; 4],
    rule: Rule,
    p: [f64; 4],
}

impl Chunk<'_> {
    /// `n` steps of `dy`; with `observe`, the sums of every step.
    pub fn run(&mut self, dy: &Dynamics, n: u64, observe: bool) -> Vec<Sums> {
        let mut out = Vec::with_capacity(if observe { n as usize } else { 0 });
        for _ in 0..n {
            let sums = self.step(dy, observe);
            if observe {
                out.push(sums);
            }
        }
        out
    }

    /// One step of `dy`: additive noise of any distribution on the lane kernels, the rest on
    /// the scalar path.
    fn step(&mut self, dy: &Dynamics, observe: bool) -> Sums {
        match dy.noise {
            NoiseSource::Additive {
                dist, fisher: 0.0, ..
            } => match dist {
                Shape::Gauss => {
                    self.lanes(dy, observe, |r: &mut LaneRng, z: &mut F| r.fill_normal(z))
                }
                Shape::Student(nu) => self.lanes(dy, observe, move |r: &mut LaneRng, z: &mut F| {
                    r.fill_student_unit(nu, z)
                }),
                Shape::Chi2(k) => self.lanes(dy, observe, move |r: &mut LaneRng, z: &mut F| {
                    r.fill_chi2_unit(k, z)
                }),
            },
            _ => self.general(dy),
        }
    }

    /// The lane kernel for this dimension, with the noise of unit covariance from `noise`.
    fn lanes<N: Fn(&mut LaneRng, &mut F) + Copy>(
        &mut self,
        dy: &Dynamics,
        observe: bool,
        noise: N,
    ) -> Sums {
        // Plain SGD (a = 0, c = 0, d = 1) keeps no buffer: m is neither read nor written.
        let r = dy.rule;
        let buffer = !(r.a == 0.0 && r.c == 0.0 && r.d == 1.0);
        match (self.dim, observe, buffer) {
            (1, false, _) => self.lanes_1d::<false, N>(dy, noise),
            (1, true, _) => self.lanes_1d::<true, N>(dy, noise),
            (_, false, false) => self.lanes_2d::<false, false, N>(dy, noise),
            (_, false, true) => self.lanes_2d::<false, true, N>(dy, noise),
            (_, true, _) => self.lanes_2d::<true, true, N>(dy, noise),
        }
    }

    /// The 2-D lane kernel for additive noise and a constant Λ; returns the sums of the
    /// observables when `OBS`.
    fn lanes_2d<const OBS: bool, const BUF: bool, N: Fn(&mut LaneRng, &mut F)>(
        &mut self,
        dy: &Dynamics,
        noise: N,
    ) -> Sums {
        let NoiseSource::Additive { l, .. } = dy.noise else {
            unreachable!()
        };
        let co = Coefs2 {
            k: dy.k,
            l,
            rule: dy.rule,
            p: dy.lambda,
        };
        let mut acc = [[0.0; LANES]; 5];
        let [w0, w1] = &mut self.w;
        let [m0, m1] = &mut self.m;
        let rng = &mut self.stream.rng;
        let (mut z0, mut z1) = ([0.0; LANES], [0.0; LANES]);
        for ((((w0, w1), m0), m1), al) in w0
            .chunks_exact_mut(LANES)
            .zip(w1.chunks_exact_mut(LANES))
            .zip(m0.chunks_exact_mut(LANES))
            .zip(m1.chunks_exact_mut(LANES))
            .zip(self.alive.chunks_exact_mut(LANES))
        {
            noise(rng, &mut z0);
            noise(rng, &mut z1);
            step_lanes_2d::<OBS, BUF>(
                w0.try_into().unwrap(),
                w1.try_into().unwrap(),
                m0.try_into().unwrap(),
                m1.try_into().unwrap(),
                al.try_into().unwrap(),
                &z0,
                &z1,
                &co,
                &mut acc,
            );
        }
        acc.map(|lane| lane.iter().sum())
    }

    /// The 1-D lane kernel for additive noise.
    fn lanes_1d<const OBS: bool, N: Fn(&mut LaneRng, &mut F)>(
        &mut self,
        dy: &Dynamics,
        noise: N,
    ) -> Sums {
        let k = dy.k[0];
        let NoiseSource::Additive { l: [l0, ..], .. } = dy.noise else {
            unreachable!()
        };
        let Rule { a, b, c, d } = dy.rule;
        let p = dy.lambda[0];
        let mut acc = [[0.0; LANES]; 5];
        let mut z = [0.0; LANES];
        let rng = &mut self.stream.rng;
        for ((w, m), al) in (self.w[0].chunks_exact_mut(LANES))
            .zip(self.m[0].chunks_exact_mut(LANES))
            .zip(self.alive.chunks_exact_mut(LANES))
        {
            noise(rng, &mut z);
            let w: &mut F = w.try_into().unwrap();
            let m: &mut F = m.try_into().unwrap();
            let al: &mut F = al.try_into().unwrap();
            for i in 0..LANES {
                let x = w[i];
                let f = k * x;
                let g = f + l0 * z[i];
                if OBS {
                    let live = al[i];
                    acc[0][i] += live * 0.5 * x * f;
                    acc[1][i] += live * x * g;
                    acc[2][i] += live * m[i] * m[i];
                    acc[3][i] += live * f * f;
                    acc[4][i] += live;
                }
                let n = a * m[i] + b * g;
                let y = x - p * (c * g + d * n);
                let keep = (al[i] > 0.5) & (y.abs() <= ESCAPE_RADIUS);
                w[i] = if keep { y } else { 0.0 };
                m[i] = if keep { n } else { 0.0 };
                al[i] = if keep { 1.0 } else { 0.0 };
            }
        }
        acc.map(|lane| lane.iter().sum())
    }

    /// One noise vector of unit covariance from `dist`, on the scalar path.
    fn unit_noise(&mut self, dist: Shape) -> [f64; 2] {
        let Stream { rng, scalar, .. } = &mut *self.stream;
        let mut one = || match dist {
            Shape::Gauss => scalar.normal(rng),
            Shape::Student(nu) => scalar.student_unit(rng, nu),
            Shape::Chi2(k) => scalar.chi2_unit(rng, k),
        };
        let a = one();
        let b = if self.dim == 2 { one() } else { 0.0 };
        [a, b]
    }

    /// The general (scalar) path: state-dependent noise, minibatches.
    fn general(&mut self, dy: &Dynamics) -> Sums {
        let [k00, k01, k10, k11] = dy.k;
        let Rule { a, b, c, d } = dy.rule;
        let [p00, p01, p10, p11] = dy.lambda;
        let two = self.dim == 2;
        if let NoiseSource::Minibatch { data, .. } = &dy.noise {
            if self.stream.perm.len() != data.len() {
                self.stream.perm = (0..data.len() as u32).collect();
            }
        }
        let mut acc = [0.0; 5];
        for i in 0..self.alive.len() {
            if self.alive[i] < 0.5 {
                continue;
            }
            let x = [self.w[0][i], if two { self.w[1][i] } else { 0.0 }];
            let f = [k00 * x[0] + k01 * x[1], k10 * x[0] + k11 * x[1]];
            let g = match &dy.noise {
                NoiseSource::Additive { l, dist, fisher } => {
                    let z = self.unit_noise(*dist);
                    let mut g = [f[0] + l[0] * z[0], f[1] + l[2] * z[0] + l[3] * z[1]];
                    if *fisher > 0.0 {
                        let Stream { rng, scalar, .. } = &mut *self.stream;
                        let xi = fisher.sqrt() * scalar.normal(rng);
                        g[0] += xi * f[0];
                        g[1] += xi * f[1];
                    }
                    g
                }
                NoiseSource::Minibatch {
                    data,
                    batch,
                    replace,
                } => {
                    let Stream { rng, scalar, perm } = &mut *self.stream;
                    data.minibatch_gradient(x, *batch, *replace, perm, rng, scalar)
                }
            };
            let mv = [self.m[0][i], if two { self.m[1][i] } else { 0.0 }];
            acc[0] += 0.5 * (x[0] * f[0] + x[1] * f[1]);
            acc[1] += x[0] * g[0] + x[1] * g[1];
            acc[2] += mv[0] * mv[0] + mv[1] * mv[1];
            acc[3] += f[0] * f[0] + f[1] * f[1];
            acc[4] += 1.0;
            let nm = [a * mv[0] + b * g[0], a * mv[1] + b * g[1]];
            let s = [c * g[0] + d * nm[0], c * g[1] + d * nm[1]];
            let y = [
                x[0] - (p00 * s[0] + p01 * s[1]),
                x[1] - (p10 * s[0] + p11 * s[1]),
            ];
            let r2 = y[0] * y[0] + y[1] * y[1];
            let keep = r2 <= ESCAPE_RADIUS * ESCAPE_RADIUS;
            for dd in 0..self.dim {
                self.w[dd][i] = if keep { y[dd] } else { 0.0 };
                self.m[dd][i] = if keep { nm[dd] } else { 0.0 };
            }
            self.alive[i] = if keep { 1.0 } else { 0.0 };
        }
        acc
    }
}

/// One step of [`LANES`] 2-D walkers (see [`Rule`]); a walker that leaves the escape ball is
/// zeroed and marked dead.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn step_lanes_2d<const OBS: bool, const BUF: bool>(
    w0: &mut F,
    w1: &mut F,
    m0: &mut F,
    m1: &mut F,
    al: &mut F,
    z0: &F,
    z1: &F,
    co: &Coefs2,
    acc: &mut [F; 5],
) {
    let [k00, k01, k10, k11] = co.k;
    let [l00, _, l10, l11] = co.l;
    let Rule { a, b, c, d } = co.rule;
    let [p00, p01, p10, p11] = co.p;
    let r2max = ESCAPE_RADIUS * ESCAPE_RADIUS;
    for i in 0..LANES {
        let (x0, x1) = (w0[i], w1[i]);
        let f0 = k00 * x0 + k01 * x1;
        let f1 = k10 * x0 + k11 * x1;
        let g0 = f0 + l00 * z0[i];
        let g1 = f1 + l10 * z0[i] + l11 * z1[i];
        if OBS {
            let live = al[i];
            acc[0][i] += live * 0.5 * (x0 * f0 + x1 * f1);
            acc[1][i] += live * (x0 * g0 + x1 * g1);
            acc[2][i] += live * (m0[i] * m0[i] + m1[i] * m1[i]);
            acc[3][i] += live * (f0 * f0 + f1 * f1);
            acc[4][i] += live;
        }
        let (n0, n1) = if BUF {
            (a * m0[i] + b * g0, a * m1[i] + b * g1)
        } else {
            (b * g0, b * g1)
        };
        let s0 = c * g0 + d * n0;
        let s1 = c * g1 + d * n1;
        let y0 = x0 - (p00 * s0 + p01 * s1);
        let y1 = x1 - (p10 * s0 + p11 * s1);
        let keep = (al[i] > 0.5) & ((y0 * y0 + y1 * y1) <= r2max);
        w0[i] = if keep { y0 } else { 0.0 };
        w1[i] = if keep { y1 } else { 0.0 };
        if BUF {
            m0[i] = if keep { n0 } else { 0.0 };
            m1[i] = if keep { n1 } else { 0.0 };
        }
        al[i] = if keep { 1.0 } else { 0.0 };
    }
}
