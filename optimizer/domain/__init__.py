"""The planning domain: Inputs and its words, names, scenarios, stress tests, licence draws
and the derived data of one scenario."""
