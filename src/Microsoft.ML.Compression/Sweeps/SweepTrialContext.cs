using System.Threading;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>What an evaluator gets for one trial: the configuration, the fidelity, a folder for artifacts and the token.</summary>
public sealed class SweepTrialContext
{
    internal SweepTrialContext(int id, SweepConfiguration configuration, int fidelity, int? promotedFrom, string folder, CancellationToken token)
    {
        Id = id;
        Configuration = configuration;
        Fidelity = fidelity;
        PromotedFrom = promotedFrom;
        Folder = folder;
        CancellationToken = token;
    }

    /// <summary>The trial's number (from 1).</summary>
    public int Id { get; }

    /// <summary>The configuration to evaluate.</summary>
    public SweepConfiguration Configuration { get; }

    /// <summary>The fidelity to evaluate at (e.g. fine-tuning epochs); 0 without fidelities.</summary>
    public int Fidelity { get; }

    /// <summary>For a promoted configuration, the trial at the previous fidelity (e.g. to continue from its model).</summary>
    public int? PromotedFrom { get; }

    /// <summary>
    /// An existing folder for this trial's artifacts (e.g. <c>trial-7.onnx</c>): <c>trial-&lt;id&gt;</c> under the
    /// checkpoint folder when there is one, else under a temporary folder.
    /// </summary>
    public string Folder { get; }

    /// <summary>Cancelled when the sweep is: stop early by throwing <see cref="OperationCanceledException"/> (the trial is then not recorded).</summary>
    public CancellationToken CancellationToken { get; }
}
