namespace Microsoft.ML.Compression.Sweeps;

/// <summary>Uniform random points of [0, 1]^d (the baseline every other tuner should beat).</summary>
public sealed class RandomTuner : SweepTuner
{
    private System.Random _random = new(0);

    /// <summary>A random search seeded with <paramref name="seed"/>.</summary>
    public RandomTuner(int seed) : base(seed) { }

    /// <inheritdoc />
    public override string Kind => "random";

    /// <inheritdoc />
    public override double[]? Propose() => Enumerable.Range(0, Space.Dimensions).Select(_ => _random.NextDouble()).ToArray();

    /// <inheritdoc />
    protected override void Reset() => _random = new System.Random(Seed);
}
