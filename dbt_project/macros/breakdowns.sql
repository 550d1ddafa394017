{#-
    Breakdown cells (référentiel §5): the total, and one cell per value of each breakdown
    column. The column holds the label shown to people; an empty value is shown as
    « Non renseigné ».
-#}
{% macro breakdown_value_of(column) -%}
    coalesce({{ column }}::varchar, 'Non renseigné')
{%- endmacro %}

{#-
    Aggregates by cell without listing rows once per cell: group by
    breakdown_grouping_sets(keys, breakdowns) over rows carrying a `<breakdown>_value` column
    per breakdown (breakdown_value_of), and select grouping_set_breakdown(breakdowns) to name
    each group's cell.
-#}
{% macro breakdown_grouping_sets(keys, breakdowns) -%}
    grouping sets (
        ({{ keys }})
        {%- for breakdown in breakdowns %},
        ({{ keys }}, {{ breakdown }}_value)
        {%- endfor %}
    )
{%- endmacro %}

{% macro grouping_set_breakdown(breakdowns) -%}
    {%- if breakdowns | length == 0 -%}
    'total' as breakdown,
    null::varchar as breakdown_value
    {%- else -%}
    case
        {%- for breakdown in breakdowns %}
        when grouping({{ breakdown }}_value) = 0 then '{{ breakdown }}'
        {%- endfor %}
        else 'total'
    end as breakdown,
    case
        {%- for breakdown in breakdowns %}
        when grouping({{ breakdown }}_value) = 0 then {{ breakdown }}_value
        {%- endfor %}
    end as breakdown_value
    {%- endif %}
{%- endmacro %}

{#- Joins to the cells of base (window, scope, association and breakdown cell) those of
    alias, aggregated apart over the same rows. -#}
{% macro join_same_cell(alias, base) -%}
    left join {{ alias }}
        on {{ alias }}.period_grain = {{ base }}.period_grain
        and {{ alias }}.period = {{ base }}.period
        and {{ alias }}.scope = {{ base }}.scope
        and {{ same_or_both_null(alias, base, 'association_code') }}
        and {{ alias }}.breakdown = {{ base }}.breakdown
        and {{ same_or_both_null(alias, base, 'breakdown_value') }}
{%- endmacro %}

{#-
    One cell per breakdown a row belongs to, in a select list: the total, then one per
    breakdown column. It multiplies each row by 1 + len(breakdowns), for models that rank
    rows within each cell; aggregates use the grouping sets above.
-#}
{% macro breakdown_cells(breakdowns) -%}
    {{ return(adapter.dispatch('breakdown_cells')(breakdowns)) }}
{%- endmacro %}
{% macro default__breakdown_cells(breakdowns) -%}
    {#- Set-returning functions of one select list advance together, row by row. -#}
    unnest(array['total'{% for breakdown in breakdowns %}, '{{ breakdown }}'{% endfor %}]::varchar[])
        as breakdown,
    unnest(array[null::varchar
        {%- for breakdown in breakdowns %},
        {{ breakdown_value_of(breakdown) }}
        {%- endfor %}]) as breakdown_value
{%- endmacro %}
{% macro duckdb__breakdown_cells(breakdowns) -%}
    unnest([
        {'breakdown': 'total', 'breakdown_value': null::varchar}
        {%- for breakdown in breakdowns %},
        {'breakdown': '{{ breakdown }}', 'breakdown_value': {{ breakdown_value_of(breakdown) }}}
        {%- endfor %}
    ], recursive := true)
{%- endmacro %}
