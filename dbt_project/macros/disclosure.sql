{#-
    The groups of indicator cells that add up, as named windows (a WINDOW clause): disclosure
    control (int_indicators_suppressed) masks so that no group reveals a masked cell by
    subtraction, and the singular test assert_suppressed_cells_not_recoverable checks it.
      · scope_cells: one indicator's cells at one scope (its total and every breakdown);
      · breakdown_cells: the cells of one breakdown, which add up to their scope's total;
      · same_cell: one cell at every scope; the associations' cells make the département's.
-#}
{% macro disclosure_group_windows() -%}
    window
        scope_cells as (
            partition by period_grain, period, scope, association_code, indicator_code,
                mis_pe_dimension
        ),
        breakdown_cells as (
            partition by period_grain, period, scope, association_code, indicator_code,
                mis_pe_dimension, breakdown
        ),
        same_cell as (
            partition by period_grain, period, indicator_code, mis_pe_dimension, breakdown,
                breakdown_value
        )
{%- endmacro %}

{#-
    A group of cells that add up to a whole leaks a masked cell when exactly one of its cells
    and its whole is unknown: one part masked under a published whole, or no part masked
    under a masked whole (the whole is then their sum).
-#}
{% macro exactly_one_unknown(masked_parts, is_whole_masked) -%}
    (({{ masked_parts }} = 1 and not {{ is_whole_masked }})
        or ({{ masked_parts }} = 0 and {{ is_whole_masked }}))
{%- endmacro %}
