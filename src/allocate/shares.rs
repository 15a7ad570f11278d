//! Exact shares: ticks of time for `1/k` of a minute, and pence by largest remainder.

use crate::domain::shift::PEOPLE_PER_SEGMENT_MAX;

/// Ticks in one minute: the least common multiple of 1..=12, so `1/k` of a minute is a whole
/// number of ticks for every `k` up to [`PEOPLE_PER_SEGMENT_MAX`].
pub const TICKS_PER_MINUTE: i64 = 27_720;

const _: () = assert!(
    PEOPLE_PER_SEGMENT_MAX == 12,
    "TICKS_PER_MINUTE must be divisible by every k"
);

/// The ticks of `minutes` shared by `k` people, per person (or all of them when `k` is 0,
/// which is unallocated time).
pub fn ticks_for(minutes: i64, k: usize) -> i64 {
    assert!(k <= PEOPLE_PER_SEGMENT_MAX, "k is limited at capture");
    assert!(minutes >= 0, "minutes are never negative");
    let divisor = k.max(1) as i64;
    debug_assert_eq!(TICKS_PER_MINUTE % divisor, 0);
    minutes * (TICKS_PER_MINUTE / divisor)
}

/// Splits `total` pence in proportion to `weights` by the largest remainder method.
///
/// Each share is first rounded down; the pence left over go one each to the largest remainders,
/// ties going to the earlier position. Callers list recipients in byte order of their ids, so
/// "earlier" is "lowest id". The shares always sum to `total`.
pub fn largest_remainder(total: i64, weights: &[i64]) -> Vec<i64> {
    assert!(!weights.is_empty(), "something to share between");
    assert!(weights.iter().all(|&w| w >= 0), "weights are not negative");
    let weight_sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    assert!(weight_sum > 0, "weights do not all vanish");
    let sign: i128 = if total < 0 { -1 } else { 1 };
    let magnitude = i128::from(total).abs();
    let mut shares: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (position, &weight) in weights.iter().enumerate() {
        let exact = magnitude * i128::from(weight);
        shares.push(exact / weight_sum);
        remainders.push((exact % weight_sum, position));
    }
    let handed_out: i128 = shares.iter().sum();
    let left_over =
        usize::try_from(magnitude - handed_out).expect("fewer pence left than recipients");
    assert!(
        left_over < weights.len(),
        "largest remainder leaves less than one penny each"
    );
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, position) in remainders.iter().take(left_over) {
        shares[position] += 1;
    }
    let result: Vec<i64> = shares
        .into_iter()
        .map(|s| i64::try_from(sign * s).expect("a share is no larger than the total"))
        .collect();
    debug_assert_eq!(
        result.iter().sum::<i64>(),
        total,
        "shares add up to the total"
    );
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_shares_give_odd_pence_to_the_lowest_ids() {
        assert_eq!(largest_remainder(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(largest_remainder(101, &[1, 1, 1]), vec![34, 34, 33]);
        assert_eq!(largest_remainder(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(largest_remainder(0, &[1, 1]), vec![0, 0]);
    }

    #[test]
    fn weighted_shares_follow_the_largest_remainder() {
        // 33.33% / 33.33% / 33.34% of £1.00.
        assert_eq!(
            largest_remainder(100, &[3333, 3333, 3334]),
            vec![33, 33, 34]
        );
        assert_eq!(largest_remainder(1001, &[5000, 5000]), vec![501, 500]);
    }

    #[test]
    fn ticks_split_a_minute_exactly() {
        for k in 1..=PEOPLE_PER_SEGMENT_MAX {
            assert_eq!(ticks_for(7, k) * k as i64, 7 * TICKS_PER_MINUTE);
        }
        assert_eq!(ticks_for(20, 0), 20 * TICKS_PER_MINUTE);
    }

    proptest! {
        #[test]
        fn shares_always_sum_to_the_total(total in -1_000_000i64..1_000_000, weights in proptest::collection::vec(0i64..10_000, 1..6)) {
            prop_assume!(weights.iter().any(|&w| w > 0));
            let shares = largest_remainder(total, &weights);
            prop_assert_eq!(shares.iter().sum::<i64>(), total);
            let weight_sum: i64 = weights.iter().sum();
            for (share, weight) in shares.iter().zip(&weights) {
                let exact = total as f64 * *weight as f64 / weight_sum as f64;
                prop_assert!((*share as f64 - exact).abs() < 1.0 + 1e-9);
            }
        }
    }
}
