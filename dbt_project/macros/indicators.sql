{#- Helpers shared by the models that compute indicators in their long format. -#}

{#-
    One cell per breakdown a row belongs to: the total, then one per breakdown column (the
    column holds the label shown to people; an empty value is shown as « Non renseigné »).
    Used in a select list, it multiplies each row by 1 + len(breakdowns).
-#}
{% macro breakdown_cells(breakdowns) -%}
    unnest([
        {'breakdown': 'total', 'breakdown_value': null::varchar}
        {%- for breakdown in breakdowns %},
        {'breakdown': '{{ breakdown }}', 'breakdown_value': coalesce({{ breakdown }}::varchar, 'Non renseigné')}
        {%- endfor %}
    ], recursive := true)
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
    ({{ value }})::double as value,
    ({{ numerator }})::double as numerator,
    ({{ denominator }})::double as denominator,
    ({{ cell_count }})::bigint as cell_count,
    '{{ population }}' as population_code
{%- endmacro %}

{#- numerator ÷ denominator × 100; NULL (undefined) when the denominator is zero. -#}
{% macro percent(numerator, denominator) -%}
    100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- numerator ÷ denominator; NULL (undefined) when the denominator is zero. -#}
{% macro ratio(numerator, denominator) -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)::double
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
