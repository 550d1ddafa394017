-- A masked cell can be recovered as (total − the breakdown's other cells) when it is the only
-- masked cell of its breakdown and the total is known. The total is known when it is
-- published, or when another breakdown of the same indicator is published in full (its cells
-- add up to the total). Any such cell fails the test.
with

cells as (
    select * from {{ ref('fct_indicators') }}
),

breakdown_masks as (
    select
        *,
        count(*) filter (where is_suppressed) over (
            partition by
                period, scope, association_code, indicator_code, mis_pe_dimension, breakdown
        ) as masked_in_breakdown
    from cells
),

known_totals as (
    select
        *,
        bool_or(
            (breakdown = 'total' and not is_suppressed)
            or (breakdown <> 'total' and masked_in_breakdown = 0)
        ) over (
            partition by period, scope, association_code, indicator_code, mis_pe_dimension
        ) as is_total_known
    from breakdown_masks
)

select
    period,
    scope,
    association_code,
    indicator_code,
    mis_pe_dimension,
    breakdown,
    breakdown_value
from known_totals
where breakdown <> 'total'
    and is_suppressed
    and masked_in_breakdown = 1
    and is_total_known
