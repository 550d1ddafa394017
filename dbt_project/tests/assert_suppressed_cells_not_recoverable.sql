-- No masked cell may be recovered by subtraction. Cells add up two ways: a breakdown's cells
-- make their scope's total, and the associations' cells make the département's cell. A group
-- leaks when exactly one of its cells is unknown:
--   · a breakdown with one masked cell under a published total;
--   · a masked total with a breakdown published in full (the total is their sum);
--   · one masked association cell beside a published département cell;
--   · a masked département cell with every association cell published.
-- Each leaking cell is returned with the relation that reveals it. In a build, the windows
-- masked again (macros/incremental.sql, rebuilt_rows): the others were checked when masked.
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

select
    period_grain,
    period,
    scope,
    association_code,
    indicator_code,
    mis_pe_dimension,
    breakdown,
    breakdown_value,
    revealed_by
from leaks
where revealed_by is not null
