using System.Diagnostics.CodeAnalysis;

namespace MmProxy.Loop;

/// <summary>
/// Deadlines earliest first, as an intrusive doubly linked list: the timers of the loops without
/// timer objects (TCP header, connect and idle timeouts, UDP flow expiry). Every deadline of one
/// list has one duration, so scheduling appends in O(1) (moving a node to the tail is how a UDP
/// flow's activity postpones its expiry); a deadline earlier than the tail's (a lazily re-armed
/// idle timeout) walks back from the tail. Not thread-safe: one loop thread.
/// </summary>
internal sealed class DeadlineList<T>
    where T : class
{
    private DeadlineNode<T>? _head;
    private DeadlineNode<T>? _tail;

    public int Count { get; private set; }

    /// <summary>The earliest deadline, or <see cref="long.MaxValue"/> when empty.</summary>
    public long NextDeadline => _head?.Deadline ?? long.MaxValue;

    /// <summary>The owner of the earliest deadline (tests, shutdown), or null.</summary>
    public T? First => _head?.Owner;

    /// <summary>Puts <paramref name="node"/> (from any list, or none) at <paramref name="deadline"/>, after equal deadlines.</summary>
    public void Schedule(DeadlineNode<T> node, long deadline)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.Cancel();
        node.Deadline = deadline;
        DeadlineNode<T>? after = _tail;
        while (after is not null && after.Deadline > deadline)
        {
            after = after.Previous;
        }

        Link(node, after);
    }

    /// <summary>Removes the earliest node when its deadline is at or before <paramref name="now"/>.</summary>
    public bool TryTakeExpired(long now, [NotNullWhen(true)] out T? owner)
    {
        DeadlineNode<T>? head = _head;
        if (head is null || head.Deadline > now)
        {
            owner = null;
            return false;
        }

        Remove(head);
        owner = head.Owner;
        return true;
    }

    internal void Remove(DeadlineNode<T> node)
    {
        if (node.List != this)
        {
            return;
        }

        if (node.Previous is null)
        {
            _head = node.Next;
        }
        else
        {
            node.Previous.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Previous;
        }
        else
        {
            node.Next.Previous = node.Previous;
        }

        node.Previous = null;
        node.Next = null;
        node.List = null;
        Count--;
    }

    private void Link(DeadlineNode<T> node, DeadlineNode<T>? after)
    {
        node.Previous = after;
        node.Next = after is null ? _head : after.Next;
        if (node.Next is null)
        {
            _tail = node;
        }
        else
        {
            node.Next.Previous = node;
        }

        if (after is null)
        {
            _head = node;
        }
        else
        {
            after.Next = node;
        }

        node.List = this;
        Count++;
    }
}
