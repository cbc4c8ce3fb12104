namespace MmProxy.Loop;

/// <summary>
/// A link in one <see cref="DeadlineList{T}"/> (intrusive: nothing is allocated per schedule). Each
/// pooled connection or flow owns its nodes for life; a node is in at most one list at a time.
/// </summary>
internal sealed class DeadlineNode<T>(T owner)
    where T : class
{
    public T Owner { get; } = owner;

    /// <summary>Loop clock ticks (<see cref="LoopClock"/>).</summary>
    public long Deadline { get; internal set; }

    public bool IsScheduled => List is not null;

    internal DeadlineList<T>? List { get; set; }

    internal DeadlineNode<T>? Previous { get; set; }

    internal DeadlineNode<T>? Next { get; set; }

    /// <summary>Takes the node out of its list, if it is in one.</summary>
    public void Cancel() => List?.Remove(this);
}
