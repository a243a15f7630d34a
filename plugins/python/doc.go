// Command langpack-python is the Python LangPack adapter: it finds python3,
// builds an algorithm's requirements.txt into its own dependency folder,
// runs its tests with pytest or unittest, scaffolds new algorithms, and runs
// them with the runner from langpacks/python.
package main
