{#-
    Raw tables hold each drop-down value as its canonical French label; these helpers map a
    label to its row of the référentiel seed `ref_list_values` (code, category).
-#}

{% macro join_list_value(list_code, label_column, alias) -%}
    left join {{ ref('ref_list_values') }} as {{ alias }}
        on {{ alias }}.list_code = '{{ list_code }}'
        and {{ alias }}.label_fr = {{ label_column }}
{%- endmacro %}
