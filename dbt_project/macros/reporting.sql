{#-
    How the workbooks name a figure's scope: « Département », or the association's name (its
    code when it has none). The workbooks list the département first, then the associations
    by this label: order by scope = 'association', scope_label.
-#}
{% macro scope_label(scope_column, association_name_column) -%}
    case
        when {{ scope_column }} = 'departement' then 'Département'
        else {{ association_name_column }}
    end
{%- endmacro %}
