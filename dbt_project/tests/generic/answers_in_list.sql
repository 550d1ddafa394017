{#-
    Every answer of the sheet's questionnaire (answer_fields: its fields of the list
    `list_code`) is NULL or a value of that list in the référentiel (ref_list_values.value_code,
    or another of its columns such as label_fr): the items and their scale are both stated in
    the seeds.
-#}
{% test answers_in_list(model, sheet_code, list_code, field='value_code') %}
-- depends_on: {{ ref('reporting_columns') }}
-- depends_on: {{ ref('ref_list_values') }}

{%- for answer_field in answer_fields(sheet_code, list_code) %}
{{ 'union all' if not loop.first }}
select '{{ answer_field }}' as field, cast({{ answer_field }} as {{ dbt.type_string() }}) as answer
from {{ model }}
where {{ answer_field }} is not null
    and cast({{ answer_field }} as {{ dbt.type_string() }}) not in (
        select {{ field }} from {{ ref('ref_list_values') }} where list_code = '{{ list_code }}'
    )
{%- endfor %}

{% endtest %}
