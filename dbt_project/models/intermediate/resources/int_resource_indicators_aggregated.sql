-- Resource indicators (year to date) and pairs per staff FTE. Resources describe the
-- association, not people: they carry no cell count and are not subject to disclosure control.
with

scopes_listed as (
    select * from {{ ref('int_indicator_scopes_listed') }}
),

resources as (
    select * from {{ ref('int_resources_carried_forward') }}
),

pair_totals as (
    select * from {{ ref('int_pairs_aggregated') }}
    where breakdown = 'total'
),

scoped as (
    select
        resources.period,
        scopes.scope,
        {{ scope_association_code('resources.association_code') }} as association_code,
        resources.category_code,
        resources.detail,
        resources.amount
    from resources
    {{ cross_join_scopes() }}
),

subsidy_cells as (
    select
        period,
        scope,
        association_code,
        amount,
        {{ breakdown_cells(['detail']) }}
    from scoped
    where category_code = 'subsidy'
),

fte_staff_totals as (
    select
        period,
        scope,
        association_code,
        sum(amount) as fte_staff
    from scoped
    where category_code = 'fte_staff'
    group by all
),

staff as (
    select
        scopes_listed.period,
        scopes_listed.scope,
        scopes_listed.association_code,
        coalesce(pair_totals.pairs_active, 0) as pairs_active,
        coalesce(fte_staff_totals.fte_staff, 0) as fte_staff
    from scopes_listed
    left join pair_totals
        on pair_totals.period = scopes_listed.period
        and pair_totals.scope = scopes_listed.scope
        and pair_totals.association_code is not distinct from scopes_listed.association_code
    left join fte_staff_totals
        on fte_staff_totals.period = scopes_listed.period
        and fte_staff_totals.scope = scopes_listed.scope
        and fte_staff_totals.association_code is not distinct from scopes_listed.association_code
)

select {{ indicator_columns('subsidies_eur', 'sum(amount)') }}
from subsidy_cells
group by all
{%- for indicator_code, category_code in [
    ('fte_staff', 'fte_staff'),
    ('fte_volunteers', 'fte_volunteers'),
    ('annex_costs_eur', 'annex_cost'),
] %}
union all
select {{ indicator_columns(
    indicator_code, 'sum(amount)', breakdown="'total'", breakdown_value='null'
) }}
from scoped
where category_code = '{{ category_code }}'
group by all
{%- endfor %}
union all
select {{ indicator_columns(
    'tools_count', 'count(*)', breakdown="'total'", breakdown_value='null'
) }}
from scoped
where category_code = 'tool'
group by all
union all
-- pairs_per_fte reveals pairs_active (fte_staff is published): it is masked like pairs_active.
select {{ indicator_columns(
    'pairs_per_fte', ratio('pairs_active', 'fte_staff'),
    numerator='pairs_active', denominator='fte_staff', cell_count='pairs_active',
    breakdown="'total'", breakdown_value='null'
) }}
from staff
