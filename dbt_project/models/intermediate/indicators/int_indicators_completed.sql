-- Every indicator cell, computed or not: the computed cells of the published breakdowns,
-- restricted to the published scopes, merged with the expected cells. Then, in this order:
--   · an indicator that does not apply to the association (its population, from the
--     registry's flags) has no value: « non applicable » (not_applicable); at département
--     scope only when no association of its population is known; so for
--     mentoring_youth_positive in a dimension no end-of-mentoring item is rattached to (the
--     catalogue's indicators of one dimension): no answer can ever count there;
--   · an indicator read from the pairs' snapshot (basis pairs) in a window without any file,
--     or from the year's resources (basis resources) before the year's first file, has no
--     value: « aucun fichier » (no_file); at département scope, when no association of its
--     population has one;
--   · a rate, mean or ratio (indicator_units.is_ratio) carries its numerator and denominator
--     and has no value when the denominator is zero (undefined);
--   · a quantity (count, amount) with nothing is 0.
-- no_value_reason (the seed no_value_reasons) says why a value is NULL, and is NULL otherwise.
{%- set indicator_models = [
    'int_pair_indicators_unpivoted',
    'int_end_questionnaire_indicators_aggregated',
    'int_mispe_indicators_aggregated',
    'int_resource_indicators_aggregated',
    'int_activity_indicators_aggregated',
    'int_reporting_indicators_aggregated',
] %}
{%- set key_columns = indicator_cell_key() %}

with

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

-- The dimensions an item of the end-of-mentoring questionnaire is rattached to.
item_dimensions as (
    select distinct mis_pe_dimension
    from catalog
    where not is_per_dimension and mis_pe_dimension is not null
),

units as (
    select * from {{ ref('indicator_units') }}
),

scopes as (
    select * from {{ ref('int_indicator_scopes_listed') }}
),

populations as (
    select * from {{ ref('int_indicator_populations') }}
),

expected as (
    select * from {{ ref('int_indicator_cells_expected') }}
),

-- By name: the incremental models also say which build computed each row.
computed as (
    {%- for model in indicator_models %}
    {{ 'union all' if not loop.first }}
    select {{ indicator_row_columns() | join(', ') }} from {{ ref(model) }}
    {%- endfor %}
),

published_breakdowns as (
    select indicator_code, 'total' as breakdown
    from catalog
    union all
    select indicator_code, unnest(string_to_array(breakdowns, '|'))
    from catalog
    where coalesce(breakdowns, '') <> ''
),

computed_published as (
    select
        computed.period_grain,
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
        computed.cell_count,
        computed.population_code
    from computed
    inner join catalog
        on catalog.indicator_code = computed.indicator_code
    inner join published_breakdowns
        on published_breakdowns.indicator_code = computed.indicator_code
        and published_breakdowns.breakdown = computed.breakdown
    inner join scopes
        on scopes.period_grain = computed.period_grain
        and scopes.period = computed.period
        and scopes.scope = computed.scope
        and {{ same_or_both_null('scopes', 'computed', 'association_code') }}
),

cells as (
    select
        {{ key_columns | join(', ') }},
        breakdown_order,
        null::double precision as value,
        null::double precision as numerator,
        null::double precision as denominator,
        null::bigint as cell_count,
        null::varchar as population_code,
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
        population_code,
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
        max(population_code) as computed_population_code,
        count(*) filter (where is_computed) as computed_rows,
        bool_or(is_expected) as is_expected
    from cells
    group by {{ key_columns | join(', ') }}
),

-- Whether each scope has what each population's indicators need: an association, its own
-- membership and files; the département, any association of the population with them.
availability as (
    select
        scopes.period_grain,
        scopes.period,
        scopes.scope,
        scopes.association_code,
        population_codes.population_code,
        bool_or(members.association_code is not null) as is_applicable,
        coalesce(bool_or(members.association_code is not null and member_scopes.has_pairs_snapshot), false)
            as has_pairs_snapshot,
        coalesce(bool_or(members.association_code is not null and member_scopes.has_resources), false)
            as has_resources
    from scopes
    cross join (select distinct population_code from populations) as population_codes
    left join scopes as member_scopes
        on member_scopes.period_grain = scopes.period_grain
        and member_scopes.period = scopes.period
        and member_scopes.scope = 'association'
        and (scopes.scope = 'departement' or member_scopes.association_code = scopes.association_code)
    left join populations as members
        on members.population_code = population_codes.population_code
        and members.association_code = member_scopes.association_code
    group by
        scopes.period_grain,
        scopes.period,
        scopes.scope,
        scopes.association_code,
        population_codes.population_code
),

resolved as (
    select
        merged.*,
        catalog.unit,
        catalog.population as population_code,
        units.is_ratio,
        case
            when not availability.is_applicable then 'not_applicable'
            when merged.indicator_code = 'mentoring_youth_positive'
                and merged.mis_pe_dimension not in (select mis_pe_dimension from item_dimensions)
                then 'not_applicable'
            when catalog.basis = 'pairs' and not availability.has_pairs_snapshot then 'no_file'
            when catalog.basis = 'resources' and not availability.has_resources then 'no_file'
        end as absence_reason
    from merged
    inner join catalog
        on catalog.indicator_code = merged.indicator_code
    inner join units
        on units.unit = catalog.unit
    inner join availability
        on availability.period_grain = merged.period_grain
        and availability.period = merged.period
        and availability.scope = merged.scope
        and {{ same_or_both_null('availability', 'merged', 'association_code') }}
        and availability.population_code = catalog.population
)

select
    period_grain,
    period,
    scope,
    association_code,
    indicator_code,
    mis_pe_dimension,
    breakdown,
    breakdown_value,
    breakdown_order,
    unit,
    case
        when absence_reason is not null then null
        when is_ratio then value
        else coalesce(value, 0)
    end as value,
    case when is_ratio and absence_reason is null then coalesce(numerator, 0) end as numerator,
    case when is_ratio and absence_reason is null then coalesce(denominator, 0) end as denominator,
    coalesce(
        absence_reason,
        case when is_ratio and coalesce(denominator, 0) = 0 then 'undefined' end
    ) as no_value_reason,
    -- 0 when nobody is behind the cell, when it has no value, or when it does not count
    -- people (resources, activities, reporting).
    case when absence_reason is null then coalesce(cell_count, 0) else 0 end as cell_count,
    population_code,
    computed_population_code,
    computed_rows,
    is_expected
from resolved
-- Categories outside the référentiel (« Non renseigné », free-text details) show only when
-- they hold something.
where is_expected
    or cell_count > 0
    or (cell_count is null and value is not null)
