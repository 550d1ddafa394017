-- Resource indicators (year to date) and pairs per staff FTE, over the associations they
-- apply to (mentoring, the catalogue's population): a home without mentoring moves neither
-- the département's subsidies nor its FTE. Resources describe the association, not people:
-- they carry no cell count and are not subject to disclosure control.
with

resources as (
    select * from {{ ref('int_resources_carried_forward') }}
    where {{ in_population('association_code', 'mentoring') }}
),

snapshots as (
    select * from {{ ref('int_indicator_scopes_listed') }}
    where scope = 'association'
        and has_pairs_snapshot
        and {{ in_population('association_code', 'mentoring') }}
),

pair_totals as (
    select * from {{ ref('int_pairs_aggregated') }}
    where breakdown = 'total'
        and scope = 'association'
),

scoped as (
    select
        resources.period_grain,
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
        period_grain,
        period,
        scope,
        association_code,
        amount,
        {{ breakdown_cells(['detail']) }}
    from scoped
    where category_code = 'subsidy'
),

fte_staff_by_association as (
    select
        period_grain,
        period,
        association_code,
        {{ exact_sum('amount') }} filter (where category_code = 'fte_staff') as fte_staff
    from resources
    group by period_grain, period, association_code
),

-- Pairs per FTE over the associations with both a snapshot of pairs in the window and
-- resources: at département scope, their pairs ÷ their staff FTE.
staff_by_association as (
    select
        snapshots.period_grain,
        snapshots.period,
        snapshots.association_code,
        coalesce(pair_totals.pairs_active, 0) as pairs_active,
        coalesce(fte_staff_by_association.fte_staff, 0) as fte_staff
    from snapshots
    left join pair_totals
        on pair_totals.period_grain = snapshots.period_grain
        and pair_totals.period = snapshots.period
        and pair_totals.association_code = snapshots.association_code
    left join fte_staff_by_association
        on fte_staff_by_association.period_grain = snapshots.period_grain
        and fte_staff_by_association.period = snapshots.period
        and fte_staff_by_association.association_code = snapshots.association_code
),

staff as (
    select
        staff_by_association.period_grain,
        staff_by_association.period,
        scopes.scope,
        {{ scope_association_code('staff_by_association.association_code') }} as association_code,
        sum(staff_by_association.pairs_active) as pairs_active,
        sum(staff_by_association.fte_staff)::double precision as fte_staff
    from staff_by_association
    {{ cross_join_scopes() }}
    group by
        staff_by_association.period_grain,
        staff_by_association.period,
        scopes.scope,
        {{ scope_association_code('staff_by_association.association_code') }}
)

{%- set amount_total = exact_sum('amount') ~ '::double precision' %}
select {{ indicator_columns('subsidies_eur', amount_total, 'mentoring') }}
from subsidy_cells
{{ indicator_group_by() }}
{%- for indicator_code, category_code in [
    ('fte_staff', 'fte_staff'),
    ('fte_volunteers', 'fte_volunteers'),
    ('annex_costs_eur', 'annex_cost'),
] %}
union all
select {{ indicator_columns(
    indicator_code, amount_total, 'mentoring', breakdown="'total'", breakdown_value='null'
) }}
from scoped
where category_code = '{{ category_code }}'
{{ indicator_group_by(breakdown="'total'", breakdown_value='null') }}
{%- endfor %}
union all
select {{ indicator_columns(
    'tools_count', 'count(*)', 'mentoring', breakdown="'total'", breakdown_value='null'
) }}
from scoped
where category_code = 'tool'
{{ indicator_group_by(breakdown="'total'", breakdown_value='null') }}
union all
-- pairs_per_fte reveals pairs_active (fte_staff is published): it counts pairs_active's pairs,
-- and the seed disclosure_equations masks it whenever pairs_active is masked.
select {{ indicator_columns(
    'pairs_per_fte', ratio('pairs_active', 'fte_staff'), 'mentoring',
    numerator='pairs_active', denominator='fte_staff', cell_count='pairs_active',
    breakdown="'total'", breakdown_value='null'
) }}
from staff
