-- The cells every scope must publish: each catalogue indicator's total (per dimension for the
-- per-dimension ones) and each category of its référentiel breakdowns. Free-text breakdowns
-- (detail) only show the values received.
with

scopes as (
    select * from {{ ref('int_indicator_scopes_listed') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

dimensions as (
    select * from {{ ref('mispe_dimensions') }}
),

categories as (
    select * from {{ ref('int_breakdown_categories_listed') }}
),

indicator_dimensions as (
    select catalog.indicator_code, dimensions.dimension_code as mis_pe_dimension
    from catalog
    cross join dimensions
    where catalog.is_per_dimension
    union all
    select indicator_code, mis_pe_dimension
    from catalog
    where not is_per_dimension
),

indicator_breakdowns as (
    select indicator_code, unnest(string_to_array(breakdowns, '|')) as breakdown
    from catalog
    where coalesce(breakdowns, '') <> ''
),

indicator_cells as (
    select indicator_code, 'total' as breakdown, null::varchar as breakdown_value, 0 as breakdown_order
    from catalog
    union all
    select
        indicator_breakdowns.indicator_code,
        indicator_breakdowns.breakdown,
        categories.breakdown_value,
        categories.sort_order
    from indicator_breakdowns
    inner join categories
        on categories.breakdown = indicator_breakdowns.breakdown
)

select
    scopes.period_grain,
    scopes.period,
    scopes.scope,
    scopes.association_code,
    indicator_dimensions.indicator_code,
    indicator_dimensions.mis_pe_dimension,
    indicator_cells.breakdown,
    indicator_cells.breakdown_value,
    indicator_cells.breakdown_order
from scopes
cross join indicator_dimensions
inner join indicator_cells
    on indicator_cells.indicator_code = indicator_dimensions.indicator_code
