#include "space/ConfigEncoder.h"

#include <cmath>

namespace dv {

ConfigEncoder::ConfigEncoder(const ConfigSpace& space, bool levelColumns)
    : m_space(space)
{
    const auto& params = space.parameters();
    int group = 0;
    for (int p = 0; p < params.size(); ++p) {
        const int k = int(params[p].values.size());
        if (k < 2)
            continue;
        const bool categorical = params[p].type == ParameterType::String || params[p].type == ParameterType::Bool;
        if (!categorical || k == 2) {
            m_columns.push_back(Column{p, -1, 1.0 / (k - 1)});
            m_groups.push_back(group++);
        } else {
            for (int v = 0; v < k; ++v) {
                m_columns.push_back(Column{p, v, 1.0});
                m_groups.push_back(levelColumns ? group : group++);
            }
            if (levelColumns)
                ++group;
        }
    }
    m_plainDimensions = int(m_columns.size());
    if (levelColumns) {
        const double scale = 1.0 / std::sqrt(2.0);
        for (int p = 0; p < params.size(); ++p) {
            const int k = int(params[p].values.size());
            const bool categorical = params[p].type == ParameterType::String || params[p].type == ParameterType::Bool;
            if (categorical || k < 3)
                continue;
            for (int v = 0; v < k; ++v) {
                m_columns.push_back(Column{p, v, scale});
                m_groups.push_back(group);
            }
            ++group;
        }
    }
    m_dimensions = int(m_columns.size());
}

std::vector<int> ConfigEncoder::lengthScaleGroups() const
{
    return m_groups;
}

void ConfigEncoder::encodeInto(const std::vector<int>& valueIndices, double* row) const
{
    for (size_t c = 0; c < m_columns.size(); ++c) {
        const Column& col = m_columns[c];
        const int v = valueIndices[size_t(col.parameter)];
        row[c] = col.value < 0 ? v * col.scale : (v == col.value ? col.scale : 0.0);
    }
}

Eigen::MatrixXd ConfigEncoder::encode(const std::vector<qint64>& indices) const
{
    // Row-major scratch, then copied: Eigen's default storage is column-major.
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows(Eigen::Index(indices.size()),
                                                                                std::max(1, m_dimensions));
    rows.setZero();
    for (size_t i = 0; i < indices.size(); ++i)
        encodeInto(m_space.valueIndices(indices[i]), rows.row(Eigen::Index(i)).data());
    return rows.leftCols(m_dimensions);
}

} // namespace dv
