package io.micromesh.core.learn;

import java.util.List;

/**
 * Logistic regression on a handful of features with soft targets in [0, 1], by Newton's method
 * (the router's success predictor, the summarizer's sentence scorer). Hand-written because the
 * models have at most a few dozen inputs and are fitted on at most tens of thousands of rows:
 * the machine-learning libraries that offer it (Tribuo, Smile) would add tens of megabytes for
 * twenty lines. Features are standardised before the fit; a small ridge keeps it stable.
 */
public final class Logistic {

    private static final double RIDGE = 1e-3;
    private static final int ITERATIONS = 25;

    private Logistic() {
    }

    /**
     * Fits weights to rows of features and their targets.
     *
     * @return the weights: per feature its mean, scale and weight, then the intercept
     */
    public static double[] fit(List<double[]> rows, List<Double> targets) {
        int f = rows.getFirst().length;
        int n = rows.size();
        double[] mean = new double[f];
        double[] scale = new double[f];
        for (double[] row : rows) {
            for (int j = 0; j < f; j++) {
                mean[j] += row[j] / n;
            }
        }
        for (double[] row : rows) {
            for (int j = 0; j < f; j++) {
                scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
            }
        }
        for (int j = 0; j < f; j++) {
            scale[j] = Math.sqrt(scale[j]) + 1e-9;
        }
        int d = f + 1;
        double[] w = new double[d];
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            double[] gradient = new double[d];
            double[][] hessian = new double[d][d];
            for (int r = 0; r < n; r++) {
                double[] x = standardised(rows.get(r), mean, scale);
                double p = sigmoid(dot(w, x));
                double g = p - targets.get(r);
                double h = Math.max(p * (1 - p), 1e-6);
                for (int a = 0; a < d; a++) {
                    gradient[a] += g * x[a];
                    for (int b = 0; b < d; b++) {
                        hessian[a][b] += h * x[a] * x[b];
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                gradient[a] += RIDGE * n * w[a];
                hessian[a][a] += RIDGE * n;
            }
            double[] step = solve(hessian, gradient);
            for (int a = 0; a < d; a++) {
                w[a] -= step[a];
            }
        }
        double[] weights = new double[3 * f + 1];
        for (int j = 0; j < f; j++) {
            weights[3 * j] = mean[j];
            weights[3 * j + 1] = scale[j];
            weights[3 * j + 2] = w[j];
        }
        weights[3 * f] = w[f];
        return weights;
    }

    /** The fitted probability for one row of features. */
    public static double apply(double[] weights, double[] row) {
        int f = row.length;
        double z = weights[3 * f];
        for (int j = 0; j < f; j++) {
            z += weights[3 * j + 2] * (row[j] - weights[3 * j]) / weights[3 * j + 1];
        }
        return sigmoid(z);
    }

    private static double[] standardised(double[] row, double[] mean, double[] scale) {
        double[] x = new double[row.length + 1];
        for (int j = 0; j < row.length; j++) {
            x[j] = (row[j] - mean[j]) / scale[j];
        }
        x[row.length] = 1;
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /** Solves a small symmetric positive-definite system by Gaussian elimination with partial pivoting. */
    private static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = java.util.Arrays.copyOf(a[i], n + 1);
            m[i][n] = b[i];
        }
        for (int c = 0; c < n; c++) {
            int pivot = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) {
                    pivot = r;
                }
            }
            double[] t = m[c];
            m[c] = m[pivot];
            m[pivot] = t;
            for (int r = c + 1; r < n; r++) {
                double factor = m[r][c] / m[c][c];
                for (int k = c; k <= n; k++) {
                    m[r][k] -= factor * m[c][k];
                }
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double sum = m[r][n];
            for (int k = r + 1; k < n; k++) {
                sum -= m[r][k] * x[k];
            }
            x[r] = sum / m[r][r];
        }
        return x;
    }
}
