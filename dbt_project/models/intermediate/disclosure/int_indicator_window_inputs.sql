-- What int_indicators_suppressed reads of each window, as one digest per window
-- (docs/performance.md#incremental-builds): the window's indicator cells, every column, the
-- disclosure threshold and the project's code. Disclosure control never looks beyond a window
-- (its groups are a window's cells), so a window whose digest is unchanged keeps its flags.
select
    period_grain,
    period,
    {{ inputs_digest(
        star_except('int_indicators_completed', []).split(', '), also=[var('min_cell')]
    ) }} as inputs_digest
from {{ ref('int_indicators_completed') }}
group by period_grain, period
