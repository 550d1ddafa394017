-- Every indicator cell, computed or not: the computed cells of the published breakdowns,
-- restricted to the published scopes, merged with the expected cells. A quantity (count,
-- amount) with nothing is 0; a rate, mean or ratio (indicator_units.is_ratio) carries its
-- numerator and denominator and has no value (NULL) when the denominator is zero.
{%- set indicator_models = [
    'int_pair_indicators_unpivoted',
    'int_end_questionnaire_indicators_aggregated',
    'int_mispe_indicators_aggregated',
    'int_resource_indicators_aggregated',
    'int_activity_indicators_aggregated',
] %}
{%- set key_columns = [
    'period', 'scope', 'association_code', 'indicator_code', 'mis_pe_dimension',
    'breakdown', 'breakdown_value',
] %}

with

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

units as (
    select * from {{ ref('indicator_units') }}
),

scopes as (
    select * from {{ ref('int_indicator_scopes_listed') }}
),

expected as (
    select * from {{ ref('int_indicator_cells_expected') }}
),

computed as (
    {%- for model in indicator_models %}
    {{ 'union all' if not loop.first }}
    select * from {{ ref(model) }}
    {%- endfor %}
),

published_breakdowns as (
    select indicator_code, 'total' as breakdown
    from catalog
    union all
    select indicator_code, unnest(string_split(breakdowns, '|'))
    from catalog
    where coalesce(breakdowns, '') <> ''
),

computed_published as (
    select
        computed.period,
        computed.scope,
        computed.association_code,
        computed.indicator_code,
        coalesce(computed.mis_pe_dimension, catalog.mis_pe_dimension) as mis_pe_dimension,
        computed.breakdown,
        computed.breakdown_value,
        computed.value,
        computed.numerator,
        computed.denominator,
        computed.cell_count
    from computed
    inner join catalog
        on catalog.indicator_code = computed.indicator_code
    inner join published_breakdowns
        on published_breakdowns.indicator_code = computed.indicator_code
        and published_breakdowns.breakdown = computed.breakdown
    inner join scopes
        on scopes.period = computed.period
        and scopes.scope = computed.scope
        and scopes.association_code is not distinct from computed.association_code
),

cells as (
    select
        {{ key_columns | join(', ') }},
        breakdown_order,
        null::double as value,
        null::double as numerator,
        null::double as denominator,
        null::bigint as cell_count,
        false as is_computed,
        true as is_expected
    from expected
    union all
    select
        {{ key_columns | join(', ') }},
        null as breakdown_order,
        value,
        numerator,
        denominator,
        cell_count,
        true as is_computed,
        false as is_expected
    from computed_published
),

merged as (
    select
        {{ key_columns | join(', ') }},
        max(breakdown_order) as breakdown_order,
        max(value) as value,
        max(numerator) as numerator,
        max(denominator) as denominator,
        max(cell_count) as cell_count,
        count(*) filter (where is_computed) as computed_rows,
        bool_or(is_expected) as is_expected
    from cells
    group by all
)

select
    merged.period,
    merged.scope,
    merged.association_code,
    merged.indicator_code,
    merged.mis_pe_dimension,
    merged.breakdown,
    merged.breakdown_value,
    merged.breakdown_order,
    catalog.unit,
    case
        when units.is_ratio then merged.value
        else coalesce(merged.value, 0)
    end as value,
    case when units.is_ratio then coalesce(merged.numerator, 0) end as numerator,
    case when units.is_ratio then coalesce(merged.denominator, 0) end as denominator,
    -- 0 when nobody is behind the cell or when it does not count people (resources, activities).
    coalesce(merged.cell_count, 0) as cell_count,
    merged.computed_rows,
    merged.is_expected
from merged
inner join catalog
    on catalog.indicator_code = merged.indicator_code
inner join units
    on units.unit = catalog.unit
-- Categories outside the référentiel (« Non renseigné », free-text details) show only when
-- they hold something.
where merged.is_expected
    or merged.cell_count > 0
    or (merged.cell_count is null and merged.value is not null)
