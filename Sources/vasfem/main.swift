print("vasfem")
