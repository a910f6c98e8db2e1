{{ config(alias='disclosure_control') }}
-- The disclosure control every published count has been through, with its parameters
-- (from `disclosure` in the standard), so a reader knows what a figure can and cannot
-- say: docs/disclosure-control.md has the method and the attacker it is designed against.
with parameters as (
    select
        'method' as parameter,
        '{{ sdc_method() }}' as value,
        'Every count of people, rows or findings, at every level including England, is the '
        || 'true count plus noise picked by the key of its cell: the sum of the record keys '
        || 'of the people in it. The same people give the same published count in every '
        || 'table, level and publish; 0 stays 0; no count is below 0.' as meaning
    union all
    select
        'perturbation_ratio' as parameter,
        '{{ sdc_perturbation_ratio() }}' as value,
        'The noise is two-sided geometric: P(noise = k) is proportional to this ratio to '
        || 'the power |k|, so about a third of counts are unchanged and most move by 1 or 2.'
            as meaning
    union all
    select
        'largest_perturbation' as parameter,
        '{{ sdc_largest_perturbation() }}' as value,
        'The largest noise a cell key can pick, either way.' as meaning
    union all
    select
        'derived_figures' as parameter,
        'from perturbed counts' as value,
        'FTE has noise of its own (whole FTE, the same distribution); shares, turnover, the '
        || 'diversity index, categories present and the data-quality shares are worked out '
        || 'from perturbed counts.' as meaning
    union all
    select
        'pay_min_assignments' as parameter,
        '{{ sdc_pay_min_assignments() }}' as value,
        'Pay figures (median, quartiles, mean) are published only for a cell of at least '
        || 'this many assignments (their true count); assignments itself is perturbed.'
            as meaning
    union all
    select
        'pay_rounding_gbp' as parameter,
        '{{ sdc_pay_rounding_gbp() }}' as value,
        'Published pay figures are rounded to the nearest this many pounds, halves up.'
            as meaning
)

select * from parameters
