//! Monte Carlo: ensembles of independent SGD walkers on the noisy quadratic model.
//!
//! Walkers are stored as structure-of-arrays (one vector per coordinate, padded to a multiple
//! of [`LANES`] = 16) and advanced sixteen at a time by loops over lane arrays that LLVM vectorises.
//! Random numbers come from sixteen lock-step Xoshiro256++ streams with ziggurat normals
//! ([`crate::rng`]), written with platform-independent arithmetic, so a seed gives the same
//! walkers natively and in WebAssembly. Each chunk of [`CHUNK`] walkers has its own streams
//! (`chunk`), so that natively the chunks of a large ensemble can run on several threads
//! ([`Ensemble::set_threads`]) with the same result.
//!
//! Every optimizer of the theory is one linear update rule here,
//! m' = a·m + b·g,  w' = w − Λ(c·g + d·m'), with the literal coefficients of each method
//! ([`Rule`]); the gradient g is Kw plus noise of the chosen distribution, or the true gradient
//! of a random minibatch of a generated data set ([`data`]).

mod chunk;
pub mod diagonal;
pub mod first_passage;
pub mod half_running;
pub mod outcome;
pub mod per_direction;
pub mod power_spectra;
pub mod runs;
pub mod schedule;
pub mod stats;

use crate::model::data::DataSet;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::rng::math::LANES;
use chunk::{Chunk, Stream, Sums};
use nalgebra::DMatrix;
use std::sync::Arc;

pub use chunk::{chunk_seed, CHUNK};

/// A walker farther than this from the minimum has escaped: it is counted as diverged and no
/// longer drawn or included in the statistics.
pub const ESCAPE_RADIUS: f64 = 1e6;

/// The literal update rule m' = a·m + b·g,  w' = w − Λ(c·g + d·m').
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// Momentum decay a.
    pub a: f64,
    /// Gradient weight b into the buffer.
    pub b: f64,
    /// Direct gradient weight c in the step.
    pub c: f64,
    /// Buffer weight d in the step.
    pub d: f64,
}

impl Rule {
    /// The rule of an optimizer: heavy ball with dampening ν (Eq. 5; Yaida Eq. 10–11:
    /// a = μ, b = 1 − ν, c = 0, d = 1, and the same for every preconditioned method), QHM
    /// (Eq. 72: a = μ, b = 1 − μ, c = 1 − ν, d = ν), Nesterov (a = μ, b = 1, c = 1, d = μ).
    pub fn of(opt: &Optimizer) -> Rule {
        let mu = opt.mu;
        match opt.opt {
            Opt::Qhm => Rule {
                a: mu,
                b: 1.0 - mu,
                c: 1.0 - opt.qhm_nu,
                d: opt.qhm_nu,
            },
            Opt::Nesterov => Rule {
                a: mu,
                b: 1.0,
                c: 1.0,
                d: mu,
            },
            _ => Rule {
                a: mu,
                b: 1.0 - opt.damp,
                c: 0.0,
                d: 1.0,
            },
        }
    }
}

/// The distribution of constant-covariance gradient noise (Liu et al. Fig. 8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Gaussian.
    Gauss,
    /// Student-t with ν degrees of freedom, rescaled to unit variance (ν > 2).
    Student(u32),
    /// Centred χ² with k degrees of freedom, rescaled to unit variance.
    Chi2(u32),
}

/// Where the noise comes from.
#[derive(Clone, Debug)]
pub enum NoiseSource {
    /// η = L ζ with C = L Lᵀ and ζ of unit covariance from `Shape`; plus, when `fisher > 0`,
    /// the state-dependent part √c_f (Kw) ξ, of covariance c_f·K w wᵀ K.
    Additive {
        /// Lower-triangular L (row-major 2 × 2).
        l: [f64; 4],
        /// The distribution of ζ.
        dist: Shape,
        /// c_f.
        fisher: f64,
    },
    /// The true gradient of a random minibatch of `batch` points.
    Minibatch {
        /// The data set.
        data: Arc<DataSet>,
        /// Minibatch size S.
        batch: usize,
        /// With replacement?
        replace: bool,
    },
}

/// Everything that defines one step.
#[derive(Clone, Debug)]
pub struct Dynamics {
    dim: usize,
    k: [f64; 4],
    noise: NoiseSource,
    rule: Rule,
    /// The learning-rate matrix Λ (row-major 2 × 2).
    lambda: [f64; 4],
    /// Yaida's O_R = (1+μ)/(2(1−ν)) η v² factor (NaN for optimizers without his buffer).
    o_r_factor: f64,
}

fn flat(m: &DMatrix<f64>) -> [f64; 4] {
    if m.nrows() == 1 {
        [m[(0, 0)], 0.0, 0.0, 0.0]
    } else {
        [m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)]]
    }
}

impl Dynamics {
    /// `opt` on `model` (D = 1 or 2) with noise of distribution `dist`. NGD and Adam take the
    /// paper's idealised form: their Λ is built from the exact stationary Σ (the Fisher
    /// information KΣK, and E[ggᵀ] = KΣK + C), and state-dependent noise enters as it does in
    /// Cor. 6 and Thm 10, with the constant covariance c_f·KΣK of that state. (Noise whose
    /// covariance follows each walker, c_f·K w wᵀ K, would make their self-consistent state only
    /// marginally stable in mean square and let almost every walker collapse to 0.) `Err` when
    /// Λ does not exist (damped Newton with a singular K, or NGD and Adam without a stationary
    /// state).
    pub fn new(model: &Model, opt: &Optimizer, dist: Shape) -> Result<Dynamics, String> {
        let d = model.dim();
        let sigma = if opt.opt.depends_on_sigma() {
            crate::theory::stationary(model, opt)
                .map_err(|_| {
                    format!(
                        "{} has no stationary state here, so its idealised learning rate \
                         (built from it) does not exist",
                        opt.name()
                    )
                })?
                .sigma
        } else {
            DMatrix::zeros(d, d)
        };
        Dynamics::at_sigma(model, opt, &sigma, dist)
    }

    /// [`Dynamics::new`] with NGD's and Adam's stationary Σ given (computed once for a sweep,
    /// e.g. by `theory::stationary_sweep`); other optimizers ignore it.
    pub fn at_sigma(
        model: &Model,
        opt: &Optimizer,
        sigma: &DMatrix<f64>,
        dist: Shape,
    ) -> Result<Dynamics, String> {
        let d = model.dim();
        assert!(d == 1 || d == 2, "walker ensembles are 1-D or 2-D");
        let lambda = match opt.opt {
            Opt::Qhm | Opt::Nesterov => flat(&(DMatrix::identity(d, d) * opt.lr)),
            _ => flat(
                &opt.lambda(&model.k, sigma, &model.noise(sigma))
                    .ok_or("the optimizer's learning-rate matrix does not exist (K is singular)")?,
            ),
        };
        Ok(Dynamics {
            dim: d,
            k: flat(&model.k),
            noise: if opt.opt.depends_on_sigma() {
                NoiseSource::Additive {
                    l: crate::linalg::psd_cholesky(&model.noise(sigma)),
                    dist,
                    fisher: 0.0,
                }
            } else {
                NoiseSource::Additive {
                    l: crate::linalg::psd_cholesky(&model.c),
                    dist,
                    fisher: model.c_fisher,
                }
            },
            rule: Rule::of(opt),
            lambda,
            o_r_factor: match opt.opt {
                Opt::Sgd => (1.0 + opt.mu) / (2.0 * (1.0 - opt.damp)) * opt.lr,
                _ => f64::NAN,
            },
        })
    }

    /// Heavy-ball SGD with learning rate `lr` and momentum `mu` and Gaussian noise on `model`.
    pub fn heavy_ball(model: &Model, lr: f64, mu: f64) -> Dynamics {
        Dynamics::new(model, &Optimizer::sgd(lr, mu, model.dim()), Shape::Gauss)
            .expect("SGD's learning rate always exists")
    }

    /// Replaces the noise by the true gradient of minibatches of `batch` points of `data`.
    pub fn with_minibatches(mut self, data: Arc<DataSet>, batch: usize, replace: bool) -> Dynamics {
        assert_eq!(data.dim, self.dim);
        self.k = flat(&data.k);
        self.noise = NoiseSource::Minibatch {
            data,
            batch,
            replace,
        };
        self
    }

    /// The dimension of the weights.
    pub fn dim(&self) -> usize {
        self.dim
    }
}

/// Ensemble means of Yaida's observables over the live walkers, one value per step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observables {
    /// ½wᵀKw.
    pub loss: Vec<f64>,
    /// O_L = w·g, with g the stochastic gradient used by the step.
    pub o_l: Vec<f64>,
    /// O_R = (1+μ)/(2(1−ν)) η v², v the buffer before the step (NaN for other optimizers).
    pub o_r: Vec<f64>,
    /// |Kw|², the full-batch ⟨(∇f)²⟩.
    pub grad_sq: Vec<f64>,
}

impl Observables {
    /// Yaida's half-running average, Eq. (15): the mean of values t₀+1 … t with t₀ = ⌊t/2⌋,
    /// at t = `values.len()` (steps counted from 1).
    pub fn half_running(values: &[f64]) -> Option<f64> {
        let t = values.len();
        let t0 = t / 2;
        (t > t0).then(|| values[t0..].iter().sum::<f64>() / (t - t0) as f64)
    }

    /// The plain running average of all the values.
    pub fn running(values: &[f64]) -> Option<f64> {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Sample moments of the live walkers.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    /// Live walkers the moments are taken over.
    pub n: usize,
    /// Sample mean of w.
    pub mean: Vec<f64>,
    /// Sample covariance of w (about the sample mean, divided by n − 1).
    pub cov: DMatrix<f64>,
    /// Standard error of each covariance entry, estimated from the spread of the products
    /// (w_i − w̄_i)(w_j − w̄_j) across walkers.
    pub cov_se: DMatrix<f64>,
}

/// The moments of `walkers` walkers after `steps` steps of `dynamics` from the origin, with
/// random numbers from `seed`: `None` when any walker diverged (the moments of the survivors
/// would be biased) or fewer than two remain.
pub fn moments_after(
    dynamics: &Dynamics,
    walkers: usize,
    steps: u64,
    seed: u64,
) -> Option<Moments> {
    let mut e = Ensemble::new(dynamics.dim(), walkers, seed);
    e.advance(dynamics, steps);
    e.moments().filter(|_| e.diverged() == 0)
}

/// An ensemble of independent walkers, started at w = 0, m = 0 (or elsewhere: [`Ensemble::start_at`]).
#[derive(Clone, Debug)]
pub struct Ensemble {
    dim: usize,
    n: usize,
    w: [Vec<f64>; 2],
    m: [Vec<f64>; 2],
    /// 1.0 for a live walker, 0.0 for an escaped one or padding.
    alive: Vec<f64>,
    steps: u64,
    /// The random numbers of each chunk of [`CHUNK`] walkers.
    streams: Vec<Stream>,
    threads: usize,
    observe: bool,
    observed: Observables,
}

impl Ensemble {
    /// `walkers` walkers of dimension `dim` (1 or 2) at the origin, random numbers from `seed`.
    pub fn new(dim: usize, walkers: usize, seed: u64) -> Ensemble {
        assert!(dim == 1 || dim == 2, "walker ensembles are 1-D or 2-D");
        let padded = walkers.div_ceil(LANES) * LANES;
        let col = || vec![0.0; padded];
        let mut alive = vec![1.0; padded];
        alive[walkers..].iter_mut().for_each(|a| *a = 0.0);
        Ensemble {
            dim,
            n: walkers,
            w: [col(), col()],
            m: [col(), col()],
            alive,
            steps: 0,
            streams: (0..padded.div_ceil(CHUNK))
                .map(|c| Stream::new(seed, c))
                .collect(),
            threads: 1,
            observe: false,
            observed: Observables::default(),
        }
    }

    /// Puts every walker at weights `w` (length `dim`) with an empty momentum buffer: a start
    /// away from the minimum.
    pub fn start_at(&mut self, w: &[f64]) {
        for (d, &x) in w.iter().enumerate().take(self.dim) {
            self.w[d][..self.n].iter_mut().for_each(|v| *v = x);
        }
        for m in &mut self.m {
            m.iter_mut().for_each(|v| *v = 0.0);
        }
    }

    /// Records the ensemble means of Yaida's observables at every step from now on.
    pub fn observe(&mut self, on: bool) {
        self.observe = on;
    }

    /// The recorded observables.
    pub fn observed(&self) -> &Observables {
        &self.observed
    }

    /// The dimension of the weights.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of walkers, live or not.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the ensemble has no walkers.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Steps taken since the start.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Walkers that have escaped beyond [`ESCAPE_RADIUS`].
    pub fn diverged(&self) -> usize {
        self.n - self.alive[..self.n].iter().filter(|a| **a > 0.5).count()
    }

    /// Coordinate `i` of every walker (meaningful only where [`Ensemble::is_alive`] is true).
    pub fn coords(&self, i: usize) -> &[f64] {
        &self.w[i][..self.n]
    }

    /// Whether walker `i` is live.
    pub fn is_alive(&self, i: usize) -> bool {
        self.alive[i] > 0.5
    }

    /// Live flags (1.0 live, 0.0 escaped) of every walker.
    pub fn alive(&self) -> &[f64] {
        &self.alive[..self.n]
    }

    /// Puts diverged walkers back at the origin (w = 0, m = 0); returns how many.
    pub fn revive(&mut self) -> usize {
        let mut count = 0;
        for i in 0..self.n {
            if self.alive[i] < 0.5 {
                self.alive[i] = 1.0;
                for d in 0..2 {
                    self.w[d][i] = 0.0;
                    self.m[d][i] = 0.0;
                }
                count += 1;
            }
        }
        count
    }

    /// Runs the chunks of [`CHUNK`] walkers on up to `threads` threads natively (the walkers
    /// are the same for any number; WebAssembly runs the chunks one after the other).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// The chunks of [`CHUNK`] walkers, each with its stream.
    fn chunks(&mut self) -> Vec<Chunk<'_>> {
        let dim = self.dim;
        let [w0, w1] = &mut self.w;
        let [m0, m1] = &mut self.m;
        (w0.chunks_mut(CHUNK))
            .zip(w1.chunks_mut(CHUNK))
            .zip(m0.chunks_mut(CHUNK))
            .zip(m1.chunks_mut(CHUNK))
            .zip(self.alive.chunks_mut(CHUNK))
            .zip(self.streams.iter_mut())
            .map(|(((((w0, w1), m0), m1), alive), stream)| Chunk {
                dim,
                w: [w0, w1],
                m: [m0, m1],
                alive,
                stream,
            })
            .collect()
    }

    /// Takes `n` steps with `dynamics` for every live walker.
    pub fn advance(&mut self, dynamics: &Dynamics, n: u64) {
        assert_eq!(
            dynamics.dim, self.dim,
            "dynamics and ensemble differ in dimension"
        );
        let (observe, threads) = (self.observe, self.threads);
        let sums = on_threads(self.chunks(), threads, |c| c.run(dynamics, n, observe));
        if observe {
            for step in 0..n as usize {
                // Sums over the chunks, in their order, of the walkers that were live when the
                // step began (obs[4] counts them).
                let mut obs = sums.first().map_or([0.0; 5], |s| s[step]);
                for s in sums.iter().skip(1) {
                    for (o, x) in obs.iter_mut().zip(s[step]) {
                        *o += x;
                    }
                }
                let live = obs[4].max(1.0);
                self.observed.loss.push(obs[0] / live);
                self.observed.o_l.push(obs[1] / live);
                self.observed.o_r.push(dynamics.o_r_factor * obs[2] / live);
                self.observed.grad_sq.push(obs[3] / live);
            }
        }
        self.steps += n;
    }

    /// Sample mean, covariance and the covariance's standard errors over the live walkers;
    /// `None` with fewer than two live walkers.
    pub fn moments(&self) -> Option<Moments> {
        let d = self.dim;
        let live: Vec<usize> = (0..self.n).filter(|&i| self.alive[i] > 0.5).collect();
        let n = live.len();
        if n < 2 {
            return None;
        }
        let mean: Vec<f64> = (0..d)
            .map(|a| live.iter().map(|&i| self.w[a][i]).sum::<f64>() / n as f64)
            .collect();
        let mut cov = DMatrix::zeros(d, d);
        let mut se = DMatrix::zeros(d, d);
        for a in 0..d {
            for b in a..d {
                let prod = |i: usize| (self.w[a][i] - mean[a]) * (self.w[b][i] - mean[b]);
                let c = live.iter().map(|&i| prod(i)).sum::<f64>() / (n - 1) as f64;
                let var = live.iter().map(|&i| (prod(i) - c).powi(2)).sum::<f64>() / (n - 1) as f64;
                let s = (var / n as f64).sqrt();
                cov[(a, b)] = c;
                cov[(b, a)] = c;
                se[(a, b)] = s;
                se[(b, a)] = s;
            }
        }
        Some(Moments {
            n,
            mean,
            cov,
            cov_se: se,
        })
    }
}

/// `run` on every chunk, natively on up to `threads` threads (chunks dealt out in turn), and
/// the results in the chunks' order.
#[cfg(not(target_arch = "wasm32"))]
fn on_threads<F>(chunks: Vec<Chunk<'_>>, threads: usize, run: F) -> Vec<Vec<Sums>>
where
    F: Fn(&mut Chunk<'_>) -> Vec<Sums> + Sync,
{
    let count = chunks.len();
    let threads = threads.min(count).max(1);
    if threads == 1 {
        return chunks.into_iter().map(|mut c| run(&mut c)).collect();
    }
    let mut shares: Vec<Vec<(usize, Chunk<'_>)>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, c) in chunks.into_iter().enumerate() {
        shares[i % threads].push((i, c));
    }
    let mut out: Vec<Vec<Sums>> = vec![Vec::new(); count];
    std::thread::scope(|s| {
        let handles: Vec<_> = (shares.into_iter())
            .map(|share| {
                let run = &run;
                s.spawn(move || {
                    (share.into_iter())
                        .map(|(i, mut c)| (i, run(&mut c)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, sums) in h.join().expect("a chunk's thread panicked") {
                out[i] = sums;
            }
        }
    });
    out
}

/// `run` on every chunk in turn (WebAssembly has one thread here).
#[cfg(target_arch = "wasm32")]
fn on_threads<F>(chunks: Vec<Chunk<'_>>, _threads: usize, run: F) -> Vec<Vec<Sums>>
where
    F: Fn(&mut Chunk<'_>) -> Vec<Sums>,
{
    chunks.into_iter().map(|mut c| run(&mut c)).collect()
}
