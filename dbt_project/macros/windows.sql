{#-
    A youth answers once per window: with its last month answered within it. `sequenced` has
    one row per youth and month answered (answered_period) with the youth's next month
    answered (next_answered_period, NULL for the last); the row is the youth's last within
    the window when the next month falls after the window's end.
-#}
{% macro answered_last_in_window(sequenced, windows) -%}
    {{ sequenced }}.answered_period between {{ windows }}.window_start and {{ windows }}.window_end
        and ({{ sequenced }}.next_answered_period is null
            or {{ sequenced }}.next_answered_period > {{ windows }}.window_end)
{%- endmacro %}
