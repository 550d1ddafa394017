{#-
    Every non-NULL value of the column is a code of the référentiel list `list_code`
    (ref_list_values.value_code, or another of its columns such as category_code): the list is
    stated once, in the seed.
-#}
{% test in_referentiel_list(model, column_name, list_code, field='value_code') %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        select {{ field }}
        from {{ ref('ref_list_values') }}
        where list_code = '{{ list_code }}'
            and {{ field }} is not null
    )

{% endtest %}
