{#- Helpers shared by the models that compute indicators in their long format. -#}

{#- The key of an indicator cell: its window, scope, association, indicator, dimension and
    breakdown cell. A list of column names. -#}
{% macro indicator_cell_key() -%}
    {{ return([
        'period_grain', 'period', 'scope', 'association_code', 'indicator_code',
        'mis_pe_dimension', 'breakdown', 'breakdown_value',
    ]) }}
{%- endmacro %}

{#- Every column of an indicator row, in indicator_columns' order. A list of column names. -#}
{% macro indicator_row_columns() -%}
    {{ return(indicator_cell_key() + [
        'value', 'numerator', 'denominator', 'cell_count', 'population_code',
    ]) }}
{%- endmacro %}

{#-
    The select list of an indicator row (the long format of every *_indicators_* model).
    cell_count is the number of people or pairs behind the value, the basis of disclosure
    control; NULL for indicators about the association itself (resources, activities).
    population: the population (seed indicator_populations) whose rows the model computed the
    indicator over; int_indicators_completed checks it against the catalogue's.
-#}
{% macro indicator_columns(
    indicator_code,
    value,
    population,
    numerator='null',
    denominator='null',
    cell_count='null',
    mis_pe_dimension='null',
    breakdown='breakdown',
    breakdown_value='breakdown_value'
) -%}
    period_grain,
    period,
    scope,
    association_code,
    '{{ indicator_code }}' as indicator_code,
    {{ mis_pe_dimension }}::varchar as mis_pe_dimension,
    {{ breakdown }}::varchar as breakdown,
    {{ breakdown_value }}::varchar as breakdown_value,
    ({{ value }})::double precision as value,
    ({{ numerator }})::double precision as numerator,
    ({{ denominator }})::double precision as denominator,
    ({{ cell_count }})::bigint as cell_count,
    '{{ population }}' as population_code
{%- endmacro %}

{#-
    The GROUP BY of an aggregating indicator_columns select, given the same breakdown and
    mis_pe_dimension arguments: its key columns, constants left out.
-#}
{% macro indicator_group_by(mis_pe_dimension='null', breakdown='breakdown', breakdown_value='breakdown_value') -%}
    group by period_grain, period, scope, association_code
    {%- for expression in [mis_pe_dimension, breakdown, breakdown_value] %}
        {%- if expression != 'null' and not expression.startswith("'") %}, {{ expression }}{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- numerator ÷ denominator × 100; NULL (undefined) when the denominator is zero. -#}
{% macro percent(numerator, denominator) -%}
    {#- A double on both engines (PostgreSQL would keep 100.0 × n ÷ d a numeric). -#}
    (100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0))::double precision
{%- endmacro %}

{#- numerator ÷ denominator; NULL (undefined) when the denominator is zero. -#}
{% macro ratio(numerator, denominator) -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)::double precision
{%- endmacro %}

{#-
    Rows of the associations a population of indicators covers (int_indicator_populations):
    at département scope an indicator is computed over its population's rows only.
-#}
{% macro in_population(association_column, population_code) -%}
    {{ association_column }} in (
        select association_code
        from {{ ref('int_indicator_populations') }}
        where population_code = '{{ population_code }}'
    )
{%- endmacro %}
