-- No masked cell may be recovered from what is published. Cells are linked three ways: a
-- breakdown's cells make their scope's total, the associations' cells make the département's
-- cell, and the cells of the seed disclosure_equations make one equation. A group leaks when
-- exactly one of its cells is unknown:
--   · a breakdown with one masked cell under a published total;
--   · a masked total with a breakdown published in full (the total is their sum);
--   · one masked association cell beside a published département cell;
--   · a masked département cell with every association cell published;
--   · the only masked member of an equation.
-- Each leaking cell is returned with the relation that reveals it. In a build, the windows
-- masked again (macros/incremental.sql, rebuilt_rows): the others were checked when masked.
{%- set cell_key = indicator_cell_key() | join(', ') %}
with

rebuilt_windows as (
    select distinct period_grain, period
    from {{ ref('int_indicators_suppressed') }}
    where {{ rebuilt_rows() }}
),

cells as (
    select cells.*
    from {{ ref('fct_indicators') }} as cells
    inner join rebuilt_windows
        on rebuilt_windows.period_grain = cells.period_grain
        and rebuilt_windows.period = cells.period
),

groups as (
    select
        *,
        count(*) filter (where is_suppressed) over breakdown_cells as masked_in_breakdown,
        bool_or(breakdown = 'total' and is_suppressed) over scope_cells as is_total_masked,
        count(*) filter (where scope = 'association' and is_suppressed) over same_cell
            as masked_associations,
        bool_or(scope = 'departement' and is_suppressed) over same_cell
            as is_departement_masked,
        count(*) filter (where scope = 'departement') over same_cell as departement_cells
    from cells
    {{ disclosure_group_windows() }}
),

equation_members as (
    select
        cells.*,
        equations.equation_code,
        count(*) filter (where cells.is_suppressed) over (
            partition by equations.equation_code, cells.period_grain, cells.period, cells.scope,
                cells.association_code, cells.mis_pe_dimension
        ) as masked_members
    from cells
    inner join {{ ref('disclosure_equations') }} as equations
        on equations.indicator_code = cells.indicator_code
        and equations.breakdown = cells.breakdown
        and equations.breakdown_value is not distinct from cells.breakdown_value
),

leaks as (
    select
        *,
        case
            when breakdown <> 'total' and is_suppressed and masked_in_breakdown = 1
                and not is_total_masked
                then 'seule case masquée de sa ventilation, total publié'
            when breakdown <> 'total' and masked_in_breakdown = 0 and is_total_masked
                then 'total masqué, ventilation publiée en entier'
            when scope = 'association' and is_suppressed and masked_associations = 1
                and departement_cells = 1 and not is_departement_masked
                then 'seule association masquée, case du département publiée'
            when scope = 'departement' and is_suppressed and masked_associations = 0
                then 'département masqué, toutes les associations publiées'
        end as revealed_by
    from groups
)

select {{ cell_key }}, revealed_by
from leaks
where revealed_by is not null
union all
select {{ cell_key }}, 'seule case masquée de l''équation ' || equation_code as revealed_by
from equation_members
where is_suppressed and masked_members = 1
