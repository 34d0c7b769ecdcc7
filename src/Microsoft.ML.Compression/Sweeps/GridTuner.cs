namespace Microsoft.ML.Compression.Sweeps;

/// <summary>Proposes <see cref="SweepSearchSpace.Grid"/>'s configurations in order, then stops.</summary>
public sealed class GridTuner : SweepTuner
{
    private IEnumerator<SweepConfiguration>? _grid;

    /// <summary>A grid with <paramref name="stepsPerRange"/> values per range.</summary>
    public GridTuner(int stepsPerRange) : base(0)
    {
        if (stepsPerRange < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerRange), stepsPerRange, "A grid needs at least one step per range.");
        StepsPerRange = stepsPerRange;
    }

    /// <summary>Values per range.</summary>
    public int StepsPerRange { get; }

    /// <inheritdoc />
    public override string Kind => $"grid({StepsPerRange})";

    /// <inheritdoc />
    public override double[]? Propose() => _grid!.MoveNext() ? Space.ToUnit(_grid.Current) : null;

    /// <inheritdoc />
    protected override void Reset() => _grid = Space.Grid(StepsPerRange).GetEnumerator();
}
