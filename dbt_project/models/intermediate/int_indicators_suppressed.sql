-- Disclosure control. Primary: a cell whose count of people or pairs (for a rate or mean,
-- its denominator's) is between 1 and min_cell − 1; a zero reveals nobody. Secondary: when a
-- breakdown has exactly one primary-suppressed cell, its smallest other cell (preferring
-- non-empty ones) is masked too, so the first cannot be recovered as total − other cells.
-- Values stay exact: outputs mask flagged cells.
with

cells as (
    select * from {{ ref('int_indicators_completed') }}
),

primary_flagged as (
    select
        *,
        cell_count between 1 and {{ var('min_cell') | int }} - 1 as is_primary_suppressed
    from cells
),

ranked as (
    select
        *,
        count(*) filter (where is_primary_suppressed) over breakdown_group as primary_in_group,
        row_number() over (
            breakdown_group
            order by is_primary_suppressed, cell_count = 0, cell_count, breakdown_order nulls last,
                breakdown_value
        ) as unmasked_rank
    from primary_flagged
    window breakdown_group as (
        partition by period, scope, association_code, indicator_code, mis_pe_dimension, breakdown
    )
),

secondary_flagged as (
    select
        * exclude (primary_in_group, unmasked_rank),
        breakdown <> 'total'
        and primary_in_group = 1
        and not is_primary_suppressed
        and unmasked_rank = 1 as is_secondary_suppressed
    from ranked
)

select
    *,
    is_primary_suppressed or is_secondary_suppressed as is_suppressed
from secondary_flagged
