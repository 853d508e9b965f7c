//! The arithmetic of perception: smoothing over irregular samples, a damped trend, and a
//! window of timestamped values. Pure, allocation-free per update.

use std::collections::VecDeque;
use std::time::Duration;

/// An exponentially weighted moving average over samples at irregular times: each new value
/// weighs `1 - e^(-dt/τ)`, so the smoothing means the same whatever the sampling interval.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ewma {
    value: Option<f64>,
    last_at: Option<f64>,
}

impl Ewma {
    /// Adds `x` seen at `at_secs`; `tau` is the time constant.
    pub fn add(&mut self, x: f64, at_secs: f64, tau: Duration) {
        let tau = tau.as_secs_f64().max(1e-3);
        self.value = Some(match (self.value, self.last_at) {
            (Some(v), Some(last)) if at_secs > last => {
                let w = 1.0 - (-(at_secs - last) / tau).exp();
                v + w * (x - v)
            }
            // Not newer than the last: already counted, or out of order.
            (Some(_), Some(_)) => return,
            _ => x,
        });
        self.last_at = Some(at_secs);
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }
}

/// Holt's linear trend with a damped trend (Gardner & McKenzie): the forecast levels off
/// rather than running away, so a brief rise predicts a modest one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Holt {
    pub alpha: f64,
    pub beta: f64,
    /// Damping per step, below 1.
    pub phi: f64,
}

impl Default for Holt {
    fn default() -> Holt {
        Holt {
            alpha: 0.3,
            beta: 0.1,
            // Per point, at a point a second: a minute ahead sees about 35 points of trend.
            phi: 0.98,
        }
    }
}

impl Holt {
    /// The forecast `steps` points after the last of `series` (evenly spaced points), or None
    /// with fewer than three points.
    pub fn forecast(&self, series: impl IntoIterator<Item = f64>, steps: u32) -> Option<f64> {
        let mut it = series.into_iter();
        let first = it.next()?;
        let second = it.next()?;
        let mut level = second;
        let mut trend = second - first;
        let mut n = 2;
        for x in it {
            let previous = level;
            level = self.alpha * x + (1.0 - self.alpha) * (level + self.phi * trend);
            trend = self.beta * (level - previous) + (1.0 - self.beta) * self.phi * trend;
            n += 1;
        }
        if n < 3 {
            return None;
        }
        // φ + φ² + … + φ^h
        let mut damped = 0.0;
        let mut p = 1.0;
        for _ in 0..steps {
            p *= self.phi;
            damped += p;
        }
        Some(level + damped * trend)
    }
}

/// Timestamped values over a sliding span, oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Window<T> {
    points: VecDeque<(f64, T)>,
}

impl<T: Copy> Window<T> {
    /// Adds `x` at `at_secs` and forgets what is older than `span` before it. A point not
    /// after the last one is dropped: the window stays in time order.
    pub fn push(&mut self, at_secs: f64, x: T, span: Duration) {
        if self.points.back().is_some_and(|(t, _)| *t >= at_secs) {
            return;
        }
        self.points.push_back((at_secs, x));
        let oldest = at_secs - span.as_secs_f64();
        while self.points.front().is_some_and(|(t, _)| *t < oldest) {
            self.points.pop_front();
        }
    }

    /// Like [`push`](Self::push), but points less than `bucket` after the last one fold into
    /// it, keeping the larger value: a peak or a high percentile survives, at a fraction of
    /// the points (what a long window per container can afford).
    pub fn push_peak(&mut self, at_secs: f64, x: T, span: Duration, bucket: Duration)
    where
        T: PartialOrd,
    {
        if let Some((t, v)) = self.points.back_mut() {
            if *t >= at_secs {
                return;
            }
            if at_secs - *t < bucket.as_secs_f64() {
                if x > *v {
                    *v = x;
                }
                return;
            }
        }
        self.push(at_secs, x, span);
    }

    /// The time the window covers, first to last point.
    pub fn covers(&self) -> Duration {
        match (self.points.front(), self.points.back()) {
            (Some((a, _)), Some((b, _))) => Duration::from_secs_f64((b - a).max(0.0)),
            _ => Duration::ZERO,
        }
    }

    /// The values seen at or after `since_secs`.
    pub fn since(&self, since_secs: f64) -> impl Iterator<Item = T> + '_ {
        self.points
            .iter()
            .filter(move |(t, _)| *t >= since_secs)
            .map(|(_, x)| *x)
    }

    /// The newest value.
    pub fn latest(&self) -> Option<T> {
        self.points.back().map(|(_, x)| *x)
    }

    pub fn values(&self) -> impl Iterator<Item = T> + '_ {
        self.points.iter().map(|(_, x)| *x)
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }
}

/// The `q` quantile (0..=1) of `values`, nearest rank; None when empty.
pub fn quantile(values: impl Iterator<Item = f64>, q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    let (_, nth, _) = v.select_nth_unstable_by(rank, f64::total_cmp);
    Some(*nth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_window_keeps_one_point_a_bucket_and_its_largest_value() {
        let (span, bucket) = (Duration::from_secs(60), Duration::from_secs(5));
        let mut w: Window<f64> = Window::default();
        for t in 0..20 {
            // A spike at t = 7 within a flat line.
            let x = if t == 7 { 9.0 } else { 1.0 };
            w.push_peak(t as f64, x, span, bucket);
        }
        assert_eq!(w.values().collect::<Vec<_>>(), [1.0, 9.0, 1.0, 1.0]);
        assert_eq!(w.covers(), Duration::from_secs(15));
        // Older than the span goes; out of order is dropped.
        w.push_peak(100.0, 2.0, span, bucket);
        w.push_peak(99.0, 50.0, span, bucket);
        assert_eq!(w.values().collect::<Vec<_>>(), [2.0]);
    }

    #[test]
    fn the_ewma_weighs_by_time_not_by_sample_count() {
        let tau = Duration::from_secs(10);
        let mut every_second = Ewma::default();
        let mut every_five = Ewma::default();
        every_second.add(0.0, 0.0, tau);
        every_five.add(0.0, 0.0, tau);
        for t in 1..=10 {
            every_second.add(100.0, t as f64, tau);
            if t % 5 == 0 {
                every_five.add(100.0, t as f64, tau);
            }
        }
        // Ten seconds of 100 after 0: 1 - 1/e of the way, whatever the sampling.
        let expected = 100.0 * (1.0 - (-1.0f64).exp());
        assert!((every_second.value().unwrap() - expected).abs() < 0.01);
        assert!((every_five.value().unwrap() - expected).abs() < 0.01);
    }

    #[test]
    fn a_damped_trend_rises_with_a_ramp_and_stays_flat_when_steady() {
        let holt = Holt::default();
        let ramp = (0..30).map(|i| 20.0 + 2.0 * i as f64);
        let f = holt.forecast(ramp, 10).unwrap();
        // The ramp is at 78; ten steps ahead the forecast is higher, but damped below 98.
        assert!(f > 79.0 && f < 98.0, "{f}");
        let steady = holt.forecast(std::iter::repeat_n(50.0, 30), 60).unwrap();
        assert!((steady - 50.0).abs() < 1e-9);
        assert_eq!(holt.forecast([1.0, 2.0], 5), None);
    }

    #[test]
    fn a_window_forgets_what_is_older_than_its_span() {
        let mut w = Window::default();
        for t in 0..100 {
            w.push(t as f64, t as f64, Duration::from_secs(30));
        }
        assert_eq!(w.len(), 31);
        assert_eq!(w.covers(), Duration::from_secs(30));
        assert_eq!(w.since(95.0).count(), 5);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let v = (1..=100).map(f64::from);
        assert_eq!(quantile(v.clone(), 0.95), Some(95.0));
        assert_eq!(quantile(v, 1.0), Some(100.0));
        assert_eq!(quantile(std::iter::empty(), 0.5), None);
    }
}
