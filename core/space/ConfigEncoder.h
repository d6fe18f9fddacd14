#pragma once

#include "space/ConfigSpace.h"

#include <Eigen/Dense>

#include <vector>

namespace dv {

/// Encodes configurations as points in [0,1]^d for surrogate models: a numeric parameter by the
/// rank of its value scaled to [0,1] (so power-of-two lists become evenly spaced), a string or
/// boolean parameter one-hot (one coordinate when it has two values). Parameters with a single
/// value carry no information and are dropped.
///
/// With `levelColumns`, a numeric parameter of three or more values also gets one-hot columns of
/// its values, scaled by 1/sqrt(2) so that two different values are at distance 1 in them: a
/// kernel over the whole row then sees both how far apart two values are and whether they differ
/// at all, and the fitted length scales decide, per parameter, how ordinal or how categorical it
/// behaves (a block size that is fast only at multiples of the wavefront). These columns come after
/// the plain ones (plainDimensions()).
class ConfigEncoder {
public:
    explicit ConfigEncoder(const ConfigSpace& space, bool levelColumns = false);

    int dimensions() const { return m_dimensions; }
    /// The columns of the plain encoding (the first ones).
    int plainDimensions() const { return m_plainDimensions; }
    /// Length-scale group of every column: one per ordinal column; with level columns, one per
    /// parameter for its one-hot columns (without, one per one-hot column).
    std::vector<int> lengthScaleGroups() const;
    /// Encodes the configurations at the given space indices, one row each.
    Eigen::MatrixXd encode(const std::vector<qint64>& indices) const;
    /// Encodes a configuration given by value indices (one per parameter).
    void encodeInto(const std::vector<int>& valueIndices, double* row) const;

private:
    struct Column {
        int parameter;
        int value;   ///< -1: ordinal (rank scaled); otherwise one-hot for this value
        double scale; ///< 1 / (number of values - 1) for ordinal columns
    };
    ConfigSpace m_space;
    std::vector<Column> m_columns;
    std::vector<int> m_groups;
    int m_dimensions = 0;
    int m_plainDimensions = 0;
};

} // namespace dv
