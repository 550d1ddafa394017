-- Disclosure control. Primary: a cell whose count of people or pairs (for a rate or mean,
-- its denominator's) is between 1 and min_cell − 1; a zero reveals nobody.
-- Secondary: a masked cell must not be recoverable by subtraction from what is published.
-- Cells are linked three ways: the cells of a breakdown make their scope's total, the
-- associations' cells make the département's cell, and the cells of different indicators
-- that the seed disclosure_equations lists make one equation (a sum, a ratio). Each round
-- masks, in every such group where exactly one cell is unknown, the smallest other cell
-- (preferring non-empty ones):
--   · a breakdown with one masked cell and a published total;
--   · a breakdown with no masked cell under a masked total (the total would be their sum);
--   · the associations of a cell with one masked association and a published département
--     cell, or none masked under a masked département cell (the département cell itself
--     when no other association is left to mask);
--   · an equation of disclosure_equations with one masked member (a cell may be in several).
-- A new mask can open another such group, so rounds repeat. A round that masks nothing more
-- finds no such group: one more round checks it, and a block (below) it would still change
-- is masked whole, where no group can have one unknown cell (30 associations of 300 pairs
-- took 8 rounds on 2026-12-05). The singular test assert_suppressed_cells_not_recoverable
-- checks the result.
-- Every such group lies within one block (window, indicator, dimension; the indicators of
-- disclosure_equations make one block): the rounds run on the blocks holding a primary mask only
-- (a fifth of M's cells), the others need no mask.
-- Values stay exact: outputs mask flagged cells.
-- The rounds carry only the columns their windows read, and the cell's row number: the
-- cells' other columns join back after the last round (carried through the rounds' windows,
-- they took two fifths of the model's time on M).
-- Incremental by window (macros/incremental.sql): only the windows whose cells changed.
-- depends_on: {{ ref('int_indicator_window_inputs') }}
{%- set rounds = var('disclosure_rounds') | int %}
{%- set cell_columns = star_except('int_indicators_completed', []) %}
{%- set round_columns = (
    ['cell_row'] + indicator_cell_key() + ['block_indicator', 'breakdown_order', 'cell_count']
) | join(', ') %}
with

cells as (
    select * from {{ ref('int_indicators_completed') }} as completed
    {{ where_digest_changed(
        'completed', 'int_indicator_window_inputs', 'int_indicator_windows_built',
        ['period_grain', 'period']
    ) }}
),

primary_suppressed as (
    select
        *,
        cell_count between 1 and {{ var('min_cell') | int }} - 1 as is_primary_suppressed
    from cells
),

linked_indicators as (
    select distinct indicator_code from {{ ref('disclosure_equations') }}
),

-- Materialized: read three times, and its rows' numbers must be the same in each read.
blocks as materialized (
    select
        primary_suppressed.*,
        row_number() over () as cell_row,
        -- The indicator a block is of (NULL: the indicators of disclosure_equations).
        case
            when linked_indicators.indicator_code is null then primary_suppressed.indicator_code
        end as block_indicator,
        coalesce(bool_or(is_primary_suppressed) over (
            partition by period_grain, period, mis_pe_dimension,
                case
                    when linked_indicators.indicator_code is null
                        then primary_suppressed.indicator_code
                end
        ), false) as has_block_primary
    from primary_suppressed
    left join linked_indicators
        on linked_indicators.indicator_code = primary_suppressed.indicator_code
),

masked_round_0 as (
    select {{ round_columns }}, is_primary_suppressed as is_masked
    from blocks
    where has_block_primary
),
{% for round in range(1, rounds + 2) %}
groups_round_{{ round }} as (
    select
        *,
        count(*) filter (where is_masked) over breakdown_cells as masked_in_breakdown,
        bool_or(breakdown = 'total' and is_masked) over scope_cells as is_total_masked,
        row_number() over (
            breakdown_cells
            order by is_masked, cell_count = 0, cell_count, breakdown_order nulls last,
                breakdown_value
        ) as breakdown_rank,
        count(*) filter (where scope = 'association' and is_masked) over same_cell
            as masked_associations,
        count(*) filter (where scope = 'association' and not is_masked) over same_cell
            as unmasked_associations,
        coalesce(bool_or(scope = 'departement' and is_masked) over same_cell, false)
            as is_departement_masked,
        row_number() over (
            partition by period_grain, period, indicator_code, mis_pe_dimension, breakdown,
                breakdown_value, scope
            order by is_masked, cell_count = 0, cell_count, association_code
        ) as association_rank
    from masked_round_{{ round - 1 }}
    {{ disclosure_group_windows() }}
),

-- The member of each equation to mask when exactly one is: its smallest unmasked one.
equation_masks_round_{{ round }} as (
    select cell_row
    from (
        select
            cells.cell_row,
            count(*) filter (where cells.is_masked) over equation_members as masked_members,
            row_number() over (
                equation_members
                order by cells.is_masked, cells.cell_count = 0, cells.cell_count,
                    cells.indicator_code, cells.breakdown_value
            ) as member_rank
        from masked_round_{{ round - 1 }} as cells
        inner join {{ ref('disclosure_equations') }} as equations
            on equations.indicator_code = cells.indicator_code
            and equations.breakdown = cells.breakdown
            and equations.breakdown_value is not distinct from cells.breakdown_value
        window equation_members as (
            partition by equations.equation_code, cells.period_grain, cells.period, cells.scope,
                cells.association_code, cells.mis_pe_dimension
        )
    ) as members
    where masked_members = 1 and member_rank = 1
),

masked_round_{{ round }} as (
    select
        {{ round_columns }},
        is_masked
        or cell_row in (select cell_row from equation_masks_round_{{ round }})
        or (
            breakdown <> 'total'
            and breakdown_rank = 1
            and {{ exactly_one_unknown('masked_in_breakdown', 'is_total_masked') }}
        )
        or (
            scope = 'association'
            and association_rank = 1
            and {{ exactly_one_unknown('masked_associations', 'is_departement_masked') }}
        )
        or (
            scope = 'departement'
            and masked_associations = 1
            and unmasked_associations = 0
        ) as is_masked
    from groups_round_{{ round }}
),
{% endfor %}

-- The blocks the check round (the last) still masked more in: masked whole.
unsettled_blocks as (
    select distinct checked.period_grain, checked.period, checked.mis_pe_dimension,
        checked.block_indicator
    from masked_round_{{ rounds + 1 }} as checked
    inner join masked_round_{{ rounds }} as settled
        on settled.cell_row = checked.cell_row
    where checked.is_masked and not settled.is_masked
),

masked as (
    select
        settled.cell_row,
        settled.is_masked or unsettled.period is not null as is_masked
    from masked_round_{{ rounds }} as settled
    left join unsettled_blocks as unsettled
        on unsettled.period_grain = settled.period_grain
        and unsettled.period = settled.period
        and {{ same_or_both_null('unsettled', 'settled', 'mis_pe_dimension') }}
        and {{ same_or_both_null('unsettled', 'settled', 'block_indicator') }}
),

flagged as (
    select {{ cell_columns }}, is_primary_suppressed, is_masked
    from blocks
    inner join masked
        on masked.cell_row = blocks.cell_row
    union all
    select {{ cell_columns }}, is_primary_suppressed, is_primary_suppressed as is_masked
    from blocks
    where not has_block_primary
)

select
    {{ cell_columns }},
    is_primary_suppressed,
    is_masked and not is_primary_suppressed as is_secondary_suppressed,
    is_masked as is_suppressed,
    -- The dbt invocation that computed the window's rows.
    '{{ invocation_id }}' as dbt_invocation_id
from flagged
