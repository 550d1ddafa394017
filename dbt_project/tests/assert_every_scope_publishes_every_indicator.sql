-- Every published scope (each association of a window of its calendar, and the département,
-- at every grain) has a total row for every catalogue indicator, once per MIS PE dimension
-- for per-dimension ones.
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}  -- shown on the mart in Dagster
with

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

expected as (
    select
        count(*) filter (where not is_per_dimension)
        + count(*) filter (where is_per_dimension)
        * (select count(*) from {{ ref('mispe_dimensions') }}) as total_rows
    from catalog
),

published as (
    select period_grain, period, scope, association_code, count(*) as total_rows
    from {{ ref('fct_indicators') }}
    where breakdown = 'total'
    group by period_grain, period, scope, association_code
)

select
    scopes.period_grain,
    scopes.period,
    scopes.scope,
    scopes.association_code,
    coalesce(published.total_rows, 0) as total_rows,
    expected.total_rows as expected_rows
from {{ ref('int_indicator_scopes_listed') }} as scopes
cross join expected
left join published
    on published.period_grain = scopes.period_grain
    and published.period = scopes.period
    and published.scope = scopes.scope
    and {{ same_or_both_null('published', 'scopes', 'association_code') }}
where coalesce(published.total_rows, 0) <> expected.total_rows
