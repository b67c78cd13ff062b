import COpenBLAS
import CGmsh
import CHDF5

openblas_set_num_threads(2)
var a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8], c = [Float](repeating: 0, count: 4)
cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
print(c)
var m: [Double] = [4, 1, 1, 3], rhs: [Double] = [1, 2]; var piv = [Int32](repeating: 0, count: 2)
print(LAPACKE_dgesv(LAPACK_ROW_MAJOR, 2, 1, &m, 2, &piv, &rhs, 1), rhs)
var ierr: Int32 = 0
gmshInitialize(0, nil, 0, &ierr)
print("gmsh", ierr)
gmshFinalize(&ierr)
print(H5open(), ls_h5t_native_float())
