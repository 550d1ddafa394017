-- A pair is counted once per period, at every grain: the département's pairs_active equals
-- the number of distinct (association, pair) of mentoring associations active in the
-- window's latest states, and the objective breakdown (one objective per pair) adds up to it.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}  -- shown on the mart in Dagster
with

snapshot as (
    select
        period_grain,
        period,
        count(distinct association_code || '/' || pair_id) as distinct_active_pairs
    from {{ ref('int_pairs_snapshotted') }}
    where is_active
        and {{ in_population('association_code', 'mentoring') }}
    group by period_grain, period
),

pairs_active as (
    select * from {{ ref('fct_indicators') }}
    where indicator_code = 'pairs_active'
        and scope = 'departement'
),

by_breakdown as (
    select
        period_grain,
        period,
        sum(value) filter (where breakdown = 'total') as total,
        sum(value) filter (where breakdown = 'objective') as objective_sum
    from pairs_active
    group by period_grain, period
)

select
    by_breakdown.period_grain,
    by_breakdown.period,
    by_breakdown.total,
    by_breakdown.objective_sum,
    snapshot.distinct_active_pairs
from by_breakdown
left join snapshot
    on snapshot.period_grain = by_breakdown.period_grain
    and snapshot.period = by_breakdown.period
where by_breakdown.total <> coalesce(snapshot.distinct_active_pairs, 0)
    or by_breakdown.objective_sum <> by_breakdown.total
